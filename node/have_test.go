package node

import (
	"bytes"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/d3s/d3s/swarm"
)

func TestHaveRequestRoundTrip(t *testing.T) {
	for _, count := range []int{0, 1, 7, 8, 9, maxHaveIDs} {
		ids := make([]swarm.ID, count)
		has := make([]bool, count)
		for i := range ids {
			ids[i][0], ids[i][19] = byte(i), byte(i>>8)
			has[i] = i%3 == 0
		}
		got, err := readHave(bytes.NewReader(encodeHave(ids)))
		if err != nil || !slices.Equal(got, ids) {
			t.Fatalf("count %d: decoded %d IDs, %v", count, len(got), err)
		}
		bm := bitmap(has)
		if len(bm) != (count+7)/8 || !slices.Equal(unbitmap(bm, count), has) {
			t.Fatalf("count %d: bitmap round trip failed", count)
		}
	}
	if bitmap([]bool{true, false, false, false, false, false, false, false, false, true})[0] != 0x80 {
		t.Error("bit 0 is not the most significant bit of byte 0")
	}
	tooMany := encodeHave(make([]swarm.ID, maxHaveIDs+1))
	if _, err := readHave(bytes.NewReader(tooMany)); !errors.Is(err, errBadMessage) {
		t.Errorf("request for %d objects: %v, want errBadMessage", maxHaveIDs+1, err)
	}
}

// TestHasCopies: "has" is a replica reference on stored, intact bytes;
// bytes held only as this node's own write (before it adopts them), or
// marked damaged, or a replica key whose bytes are gone, do not count.
func TestHasCopies(t *testing.T) {
	n := openNode(t, t.TempDir())
	ctx := t.Context()
	store := func(b []byte) swarm.ID {
		obj, err := n.swarm.Put(ctx, bytes.NewReader(b), int64(len(b)), swarm.Expect{})
		if err != nil {
			t.Fatal(err)
		}
		return obj.ID
	}
	replica := store(randomBytes(t, 20<<10))
	if _, err := n.markReplica(replica, time.Now()); err != nil {
		t.Fatal(err)
	}
	plain := store(randomBytes(t, 20<<10))
	damaged := store(randomBytes(t, 20<<10))
	if _, err := n.markReplica(damaged, time.Now()); err != nil {
		t.Fatal(err)
	}
	n.damage.mark(damaged)
	gone := store(randomBytes(t, 100))
	if _, err := n.markReplica(gone, time.Now()); err != nil {
		t.Fatal(err)
	}
	n.release(ctx, gone)
	absent := swarm.ID{42}
	has, err := n.hasCopies(ctx, []swarm.ID{replica, plain, damaged, gone, absent})
	if err != nil {
		t.Fatal(err)
	}
	if want := []bool{true, false, false, false, false}; !slices.Equal(has, want) {
		t.Errorf("hasCopies = %v, want %v (replica, own only, damaged, released, absent)", has, want)
	}
}
