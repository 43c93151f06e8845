package node

import (
	"slices"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/d3s/d3s/node/placement"
	"github.com/d3s/d3s/swarm"
)

func testPeers(t *testing.T, n int) []peer.ID {
	t.Helper()
	ps := make([]peer.ID, n)
	for i := range ps {
		_, pub, err := crypto.GenerateEd25519Key(nil)
		if err != nil {
			t.Fatal(err)
		}
		if ps[i], err = peer.IDFromPublicKey(pub); err != nil {
			t.Fatal(err)
		}
	}
	return ps
}

// TestHoldersAreLiveMembers: holders are chosen among the members this
// node is connected to; a member that closes stops being a holder as
// soon as its connections drop.
func TestHoldersAreLiveMembers(t *testing.T) {
	nodes, _ := startNetwork(t, 4, func(*Config) {})
	ids := make([]swarm.ID, 40)
	for i := range ids {
		ids[i][0], ids[i][7] = byte(i), byte(5*i)
	}
	eventually(t, 10*time.Second, "node 0 is connected to the 3 others", func() bool {
		return len(nodes[0].place.Live()) == 4
	})
	for _, id := range ids {
		if got, want := nodes[0].place.Holders(t.Context(), id), placement.Closest(placement.Key(id), peerIDs(nodes), 3); !slices.Equal(got, want) {
			t.Fatalf("holders %v, want the 3 closest of all 4: %v", got, want)
		}
	}
	gone := nodes[3]
	if err := gone.Close(); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "the closed node is not live", func() bool {
		return !slices.Contains(nodes[0].place.Live(), gone.mem.id)
	})
	for _, id := range ids {
		got := nodes[0].place.Holders(t.Context(), id)
		if want := placement.Closest(placement.Key(id), peerIDs(nodes[:3]), 3); !slices.Equal(got, want) {
			t.Fatalf("holders after a member closed: %v, want %v", got, want)
		}
	}
}
