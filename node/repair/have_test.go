package repair

import (
	"bytes"
	"errors"
	"slices"
	"testing"

	"github.com/d3s/d3s/node/p2p"
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
	if _, err := readHave(bytes.NewReader(tooMany)); !errors.Is(err, p2p.ErrBadMessage) {
		t.Errorf("request for %d objects: %v, want p2p.ErrBadMessage", maxHaveIDs+1, err)
	}
}
