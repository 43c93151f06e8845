package node

import (
	"crypto/sha256"
	"math/big"
	"slices"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"

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

// xorDistance is the Kademlia distance computed from first principles:
// SHA-256 of the key and of the peer ID, XORed, as a big integer.
func xorDistance(key string, p peer.ID) *big.Int {
	a, b := sha256.Sum256([]byte(key)), sha256.Sum256([]byte(p))
	for i := range a {
		a[i] ^= b[i]
	}
	return new(big.Int).SetBytes(a[:])
}

func TestClosestOrdersByXORDistance(t *testing.T) {
	peers := testPeers(t, 12)
	for i := range 20 {
		var id swarm.ID
		id[0], id[19] = byte(i), byte(3*i)
		key := placementKey(id)
		want := slices.Clone(peers)
		slices.SortFunc(want, func(a, b peer.ID) int { return xorDistance(key, a).Cmp(xorDistance(key, b)) })
		for _, r := range []int{1, 3, 12, 30} {
			got := closest(key, append(slices.Clone(peers), peers[:4]...), r)
			if !slices.Equal(got, want[:min(r, len(want))]) {
				t.Fatalf("id %d r %d: got %v, want %v", i, r, got, want[:min(r, len(want))])
			}
		}
	}
}

func TestClosestIsIndependentOfCandidateOrder(t *testing.T) {
	peers := testPeers(t, 8)
	var id swarm.ID
	id[5] = 7
	a := closest(placementKey(id), peers, 3)
	rev := slices.Clone(peers)
	slices.Reverse(rev)
	if b := closest(placementKey(id), rev, 3); !slices.Equal(a, b) {
		t.Fatalf("order matters: %v vs %v", a, b)
	}
	if got := closest(placementKey(id), nil, 3); len(got) != 0 {
		t.Fatalf("no candidates: got %v", got)
	}
}

func TestSyncCopies(t *testing.T) {
	tests := []struct {
		sync, possible, want int
	}{
		{0, 1, 1}, {0, 3, 2}, {1, 3, 1}, {3, 3, 3}, {3, 2, 2}, {2, 0, 1},
	}
	for _, tc := range tests {
		n := &Node{cfg: Config{SyncReplicas: tc.sync}}
		if got := n.syncCopies(tc.possible); got != tc.want {
			t.Errorf("sync %d possible %d: got %d, want %d", tc.sync, tc.possible, got, tc.want)
		}
	}
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
		return len(nodes[0].liveMembers()) == 4
	})
	for _, id := range ids {
		if got, want := nodes[0].holders(t.Context(), id), closest(placementKey(id), peerIDs(nodes), 3); !slices.Equal(got, want) {
			t.Fatalf("holders %v, want the 3 closest of all 4: %v", got, want)
		}
	}
	gone := nodes[3]
	if err := gone.Close(); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "the closed node is not live", func() bool {
		return !slices.Contains(nodes[0].liveMembers(), gone.mem.id)
	})
	for _, id := range ids {
		got := nodes[0].holders(t.Context(), id)
		if want := closest(placementKey(id), peerIDs(nodes[:3]), 3); !slices.Equal(got, want) {
			t.Fatalf("holders after a member closed: %v, want %v", got, want)
		}
	}
}
