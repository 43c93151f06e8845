package placement

import (
	"crypto/sha256"
	"math/big"
	"slices"
	"testing"

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
		key := Key(id)
		want := slices.Clone(peers)
		slices.SortFunc(want, func(a, b peer.ID) int { return xorDistance(key, a).Cmp(xorDistance(key, b)) })
		for _, r := range []int{1, 3, 12, 30} {
			got := Closest(key, append(slices.Clone(peers), peers[:4]...), r)
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
	a := Closest(Key(id), peers, 3)
	rev := slices.Clone(peers)
	slices.Reverse(rev)
	if b := Closest(Key(id), rev, 3); !slices.Equal(a, b) {
		t.Fatalf("order matters: %v vs %v", a, b)
	}
	if got := Closest(Key(id), nil, 3); len(got) != 0 {
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
		p := New(Config{SyncReplicas: tc.sync})
		if got := p.SyncCopies(tc.possible); got != tc.want {
			t.Errorf("sync %d possible %d: got %d, want %d", tc.sync, tc.possible, got, tc.want)
		}
	}
}
