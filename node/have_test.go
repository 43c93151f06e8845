package node

import (
	"bytes"
	"slices"
	"testing"
	"time"

	"github.com/d3s/d3s/swarm"
)

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
	if _, err := n.ledger.MarkReplica(replica, time.Now()); err != nil {
		t.Fatal(err)
	}
	plain := store(randomBytes(t, 20<<10))
	damaged := store(randomBytes(t, 20<<10))
	if _, err := n.ledger.MarkReplica(damaged, time.Now()); err != nil {
		t.Fatal(err)
	}
	n.repair.MarkDamaged(damaged)
	gone := store(randomBytes(t, 100))
	if _, err := n.ledger.MarkReplica(gone, time.Now()); err != nil {
		t.Fatal(err)
	}
	n.ledger.Release(ctx, gone)
	absent := swarm.ID{42}
	has, err := n.repair.HasCopies(ctx, []swarm.ID{replica, plain, damaged, gone, absent})
	if err != nil {
		t.Fatal(err)
	}
	if want := []bool{true, false, false, false, false}; !slices.Equal(has, want) {
		t.Errorf("hasCopies = %v, want %v (replica, own only, damaged, released, absent)", has, want)
	}
}
