package node

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/d3s/d3s/node/placement"
	"github.com/d3s/d3s/s3"
	"github.com/d3s/d3s/swarm"
)

// repairConfig is the config edit of the repair tests: passes every
// 200 ms, and quick collection of replicas.
func repairConfig(c *Config) {
	c.RepairInterval = 200 * time.Millisecond
	c.ReplicaGC = 200 * time.Millisecond
}

// startNetwork starts count nodes sharing edit, all seeing bucket
// "gcbucket" of the founder's first user.
func startNetwork(t *testing.T, count int, edit func(*Config)) ([]*Node, s3.User) {
	t.Helper()
	nodes, u := startThree(t, edit)
	for len(nodes) < count {
		n := startNodeWith(t, token(t, nodes[0]), edit)
		eventually(t, 10*time.Second, "the new node sees the bucket", func() bool {
			_, err := n.HeadBucket(t.Context(), u, "gcbucket")
			return err == nil
		})
		nodes = append(nodes, n)
	}
	return nodes, u
}

// testObject is one object a repair test PUT.
type testObject struct {
	key  string
	data []byte
	id   swarm.ID
}

// putObjects stores objects of several sizes through n: inline in the
// database, small files replicated inside the request, and files
// replicated through BitTorrent.
func putObjects(t *testing.T, n *Node, u s3.User) []testObject {
	t.Helper()
	var objs []testObject
	for i, size := range []int{3 << 10, 100 << 10, 300 << 10, 700 << 10, 2 << 20, 3 << 20} {
		o := testObject{key: fmt.Sprintf("obj%d", i), data: randomBytes(t, size)}
		o.id = putIn(t, n, u, o.key, o.data)
		objs = append(objs, o)
	}
	return objs
}

// peerIDs lists the nodes' peer IDs.
func peerIDs(nodes []*Node) []peer.ID {
	out := make([]peer.ID, len(nodes))
	for i, n := range nodes {
		out[i] = n.mem.id
	}
	return out
}

// placedOn reports whether each object is held by exactly its R closest
// nodes among live, and by no other of them: the placement repair
// converges to.
func placedOn(t *testing.T, live []*Node, u s3.User, objs []testObject, r int) bool {
	t.Helper()
	for _, o := range objs {
		want := placement.Closest(placement.Key(o.id), peerIDs(live), r)
		for _, n := range live {
			if held := holds(t, n, u, o.key); held != slices.Contains(want, n.mem.id) {
				return false
			}
		}
	}
	return true
}

// holds reports whether n holds key's data, after revalidating the
// bucket (Holds reads the local catalogue as it is).
func holds(t *testing.T, n *Node, u s3.User, key string) bool {
	t.Helper()
	if _, err := n.HeadObject(t.Context(), u, "gcbucket", key); err != nil {
		return false
	}
	held, err := n.Holds(t.Context(), u.AccessKeyID, "gcbucket", key)
	return held && err == nil
}

// holderOfMost returns the node among cands that holds the most of objs
// by placement over all nodes.
func holderOfMost(nodes, cands []*Node, objs []testObject, r int) *Node {
	best, most := cands[0], -1
	for _, c := range cands {
		count := 0
		for _, o := range objs {
			if slices.Contains(placement.Closest(placement.Key(o.id), peerIDs(nodes), r), c.mem.id) {
				count++
			}
		}
		if count > most {
			best, most = c, count
		}
	}
	return best
}

// TestRepairAfterHolderDies: with 4 nodes and R=3, closing a holder makes
// the other three hold every object again, within a few repair passes.
func TestRepairAfterHolderDies(t *testing.T) {
	nodes, u := startNetwork(t, 4, repairConfig)
	objs := putObjects(t, nodes[0], u)
	eventually(t, 30*time.Second, "every object on exactly its 3 holders", func() bool {
		return placedOn(t, nodes, u, objs, 3)
	})
	victim := holderOfMost(nodes, nodes[1:], objs, 3)
	live := slices.DeleteFunc(slices.Clone(nodes), func(n *Node) bool { return n == victim })
	if err := victim.Close(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	eventually(t, 30*time.Second, "the 3 live nodes hold every object", func() bool {
		return placedOn(t, live, u, objs, 3)
	})
	t.Logf("3 copies restored %v after a holder died", time.Since(start))
	for _, n := range live {
		for _, o := range objs {
			getBytes(t, n, u, o.key, o.data)
		}
	}
}

// TestRepairRefillsWipedNode: a node whose data dir is lost comes back
// as a new member (new identity, joining with the token); the copies it
// must hold as a holder reach it, and the nodes that stopped being
// holders give theirs up.
func TestRepairRefillsWipedNode(t *testing.T) {
	nodes, u := startNetwork(t, 4, repairConfig)
	objs := putObjects(t, nodes[0], u)
	eventually(t, 30*time.Second, "every object on exactly its 3 holders", func() bool {
		return placedOn(t, nodes, u, objs, 3)
	})
	if err := nodes[3].Close(); err != nil {
		t.Fatal(err)
	}
	fresh := startNodeWith(t, token(t, nodes[0]), repairConfig)
	live := []*Node{nodes[0], nodes[1], nodes[2], fresh}
	eventually(t, 10*time.Second, "the fresh node sees the objects", func() bool {
		_, err := fresh.HeadObject(t.Context(), u, "gcbucket", objs[len(objs)-1].key)
		return err == nil
	})
	start := time.Now()
	eventually(t, 30*time.Second, "every object on exactly its 3 live holders", func() bool {
		return placedOn(t, live, u, objs, 3)
	})
	t.Logf("placement restored %v after the wiped node rejoined", time.Since(start))
	for _, n := range live {
		for _, o := range objs {
			getBytes(t, n, u, o.key, o.data)
		}
	}
	st, err := fresh.Status(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "a repair pass counts the fresh node's objects", func() bool {
		st, err = fresh.Status(t.Context())
		return err == nil && !st.LastRepair.IsZero() && st.HeldObjects > 0
	})
}

// TestNonHolderKeepsCopyUntilHoldersHaveIt: a new member that refuses
// replicas makes an old holder a non-holder of some objects; it keeps
// its copies pass after pass, and gives them up only once the new member
// accepts and holds them.
func TestNonHolderKeepsCopyUntilHoldersHaveIt(t *testing.T) {
	nodes, u := startNetwork(t, 3, repairConfig)
	objs := putObjects(t, nodes[0], u)
	eventually(t, 30*time.Second, "every object on all 3 nodes", func() bool {
		return placedOn(t, nodes, u, objs, 3)
	})
	refusing := startNodeWith(t, token(t, nodes[0]), func(c *Config) {
		repairConfig(c)
		c.refuseReplicas = true
	})
	all := append(slices.Clone(nodes), refusing)
	var moved []testObject // objects the new member is a holder of
	for _, o := range objs {
		if slices.Contains(placement.Closest(placement.Key(o.id), peerIDs(all), 3), refusing.mem.id) {
			moved = append(moved, o)
		}
	}
	if len(moved) == 0 {
		t.Skip("the new member is a holder of none of the objects")
	}
	t.Logf("the new member is a holder of %d of %d objects", len(moved), len(objs))
	passes := func() int {
		total := 0
		for _, n := range nodes {
			total += n.repair.Stats().Passes
		}
		return total
	}
	before := passes()
	for passes() < before+3*len(nodes) {
		for _, o := range moved {
			for _, n := range nodes {
				if !holds(t, n, u, o.key) {
					t.Fatalf("%s gave up %s while its new holder has no copy", n.PeerID(), o.key)
				}
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	refusing.repl.SetRefuse(false)
	eventually(t, 30*time.Second, "every object on exactly its 3 holders of 4", func() bool {
		return placedOn(t, all, u, objs, 3)
	})
}
