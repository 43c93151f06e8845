package node

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/d3s/d3s/node/collect"
	"github.com/d3s/d3s/node/repair"
	"github.com/d3s/d3s/node/replicate"
	"github.com/d3s/d3s/s3"
	"github.com/d3s/d3s/swarm"
)

// startNodeWith starts a loopback node like startNetNode, with edit
// applied to its config.
func startNodeWith(t *testing.T, token string, edit func(*Config)) *Node {
	t.Helper()
	return startNodeIn(t, t.TempDir(), token, edit)
}

// startNodeIn starts a loopback node in dir ("" token: found a network
// or rejoin the stored one), with edit applied to its config.
func startNodeIn(t *testing.T, dir, token string, edit func(*Config)) *Node {
	t.Helper()
	cfg := netConfig(dir, token)
	edit(&cfg)
	n, err := New(cfg)
	if err != nil {
		t.Fatalf("new node: %v", err)
	}
	t.Cleanup(func() { n.Close() })
	if err := n.Start(t.Context()); err != nil {
		t.Fatalf("start node: %v", err)
	}
	return n
}

// startThree starts a network of three nodes sharing edit and a bucket.
func startThree(t *testing.T, edit func(*Config)) ([]*Node, s3.User) {
	t.Helper()
	n1 := startNodeWith(t, "", edit)
	n2 := startNodeWith(t, token(t, n1), edit)
	u := s3.User{AccessKeyID: n1.FirstUser().AccessKeyID, Name: "admin"}
	if err := n1.CreateBucket(t.Context(), u, "gcbucket"); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "node 2 sees the bucket", func() bool {
		list, err := n2.ListBuckets(t.Context(), u)
		return err == nil && len(list) == 1
	})
	nodes := []*Node{n1, n2, startNodeWith(t, token(t, n1), edit)}
	for _, n := range nodes {
		eventually(t, 10*time.Second, "every node sees the bucket", func() bool {
			list, err := n.ListBuckets(t.Context(), u)
			return err == nil && len(list) == 1
		})
	}
	return nodes, u
}

// putIn stores data under key on n and returns its swarm ID.
func putIn(t *testing.T, n *Node, u s3.User, key string, data []byte) swarm.ID {
	t.Helper()
	if _, err := n.PutObject(t.Context(), u, "gcbucket", key, bytes.NewReader(data), s3.PutOptions{Size: int64(len(data))}); err != nil {
		t.Fatalf("PUT %s: %v", key, err)
	}
	return swarmIDOf(t, data)
}

// stored reports whether n's swarm has id.
func stored(t *testing.T, n *Node, id swarm.ID) bool {
	t.Helper()
	_, err := n.swarm.Stat(t.Context(), id)
	if err != nil && !errors.Is(err, swarm.ErrNotFound) {
		t.Fatalf("stat %s: %v", id, err)
	}
	return err == nil
}

// getBytes GETs key on n and checks its bytes.
func getBytes(t *testing.T, n *Node, u s3.User, key string, want []byte) {
	t.Helper()
	_, r, err := n.GetObject(t.Context(), u, "gcbucket", key)
	if err != nil {
		t.Fatalf("GET %s: %v", key, err)
	}
	got, err := io.ReadAll(r)
	r.Close()
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("GET %s: %d bytes, %v; want the %d bytes put", key, len(got), err, len(want))
	}
}

func randomBytes(t *testing.T, size int) []byte {
	t.Helper()
	b := make([]byte, size)
	rand.Read(b)
	return b
}

func TestDeleteCollectsReplicas(t *testing.T) {
	nodes, u := startThree(t, func(c *Config) { c.ReplicaGC = 100 * time.Millisecond })
	gone, shared := randomBytes(t, 300<<10), randomBytes(t, 200<<10)
	goneID := putIn(t, nodes[0], u, "gone", gone)
	sharedID := putIn(t, nodes[0], u, "shared1", shared)
	putIn(t, nodes[0], u, "shared2", shared)
	for _, n := range nodes {
		eventually(t, 20*time.Second, "every node holds both objects (R=3)", func() bool {
			return stored(t, n, goneID) && stored(t, n, sharedID)
		})
	}
	for _, key := range []string{"gone", "shared1"} {
		if err := nodes[0].DeleteObject(t.Context(), u, "gcbucket", key); err != nil {
			t.Fatalf("DELETE %s: %v", key, err)
		}
	}
	for i, n := range nodes {
		deadline := time.Now().Add(20 * time.Second)
		for stored(t, n, goneID) {
			if time.Now().After(deadline) {
				replica, _ := n.ledger.IsReplica(goneID)
				cands, _ := n.ledger.Candidates()
				_, goneNoted := cands[goneID]
				_, sharedNoted := cands[sharedID]
				cur, err := n.cat.Get(t.Context(), u.AccessKeyID, "gcbucket", "gone")
				t.Fatalf("node %d (writer: node 0) still holds the deleted object's bytes after 20 s: replica reference %v, "+
					"candidates: deleted object %v, shared object %v (%d in all); its catalogue's entry for the key: %+v, %v",
					i, replica, goneNoted, sharedNoted, len(cands), cur, err)
			}
			time.Sleep(20 * time.Millisecond)
		}
		if !stored(t, n, sharedID) {
			t.Errorf("node %d dropped the bytes another live key shares", i)
		}
		getBytes(t, n, u, "shared2", shared)
	}
}

func TestIdleTorrentsUnload(t *testing.T) {
	nodes, u := startThree(t, func(c *Config) {
		c.Replicas, c.SyncReplicas, c.SeedIdle = 1, 1, 300*time.Millisecond
	})
	data := randomBytes(t, 2<<20)
	id := putIn(t, nodes[0], u, "k", data)
	holders := nodes[0].place.Holders(t.Context(), id)
	var reader *Node
	for _, n := range nodes[1:] {
		if len(holders) > 0 && n.mem.id != holders[0] {
			reader = n
		}
	}
	if reader == nil {
		t.Fatalf("no node outside holders %v", holders)
	}
	eventually(t, 10*time.Second, "the reader sees the object", func() bool {
		_, err := reader.HeadObject(t.Context(), u, "gcbucket", "k")
		return err == nil
	})
	for round := range 2 {
		getBytes(t, reader, u, "k", data)
		for _, n := range nodes {
			if n == reader {
				continue
			}
			eventually(t, 10*time.Second, "holders stop seeding an idle object", func() bool {
				return !n.swarm.Seeding(id)
			})
		}
		// Drop the reader's cached copy so that the next GET is remote
		// again, and the holders must load the torrent again.
		if err := reader.swarm.Evict(context.WithoutCancel(t.Context()), id); err != nil && !errors.Is(err, swarm.ErrNotFound) {
			t.Fatalf("round %d: evict: %v", round, err)
		}
	}
}

// TestNoticeDuringFetchIsKept: a release notice that arrives while the
// copy it concerns is still being fetched (a PUT acknowledged with fewer
// than R copies completes in the background) is noted, survives the end
// of the fetch, and makes the sweep collect the copy; a replicate request
// that arrives after a notice (a new version with the same bytes) clears
// it. CI once caught the lost notice: TestDeleteCollectsReplicas.
func TestNoticeDuringFetchIsKept(t *testing.T) {
	n := openNode(t, t.TempDir())
	ctx := t.Context()
	data := randomBytes(t, 20<<10)
	q := replicate.Request{ID: swarmIDOf(t, data), Size: int64(len(data)), Inline: data, HasInline: true}

	n.ledger.MarkCandidate(q.ID) // neither held nor fetched: nothing to note
	if c, _ := n.ledger.Candidates(); len(c) != 0 {
		t.Fatalf("a notice for bytes this node neither holds nor fetches was noted: %v", c)
	}

	since := n.ledger.BeginFetch(q.ID)
	n.ledger.MarkCandidate(q.ID) // the notice overtakes the fetch
	n.ledger.Collect(ctx, q.ID, true)
	if c, _ := n.ledger.Candidates(); len(c) != 1 {
		t.Fatalf("a notice during the fetch: candidates %v, want it noted and kept while the fetch runs", c)
	}
	if err := n.repl.Store(ctx, q); err != nil {
		t.Fatal(err)
	}
	if _, err := n.ledger.MarkReplica(q.ID, since); err != nil {
		t.Fatal(err)
	}
	n.ledger.EndFetch(q.ID)
	if c, _ := n.ledger.Candidates(); len(c) != 1 {
		t.Fatalf("recording the replica fetched before the notice cleared it: candidates %v", c)
	}
	n.ledger.Collect(ctx, q.ID, true) // what the sweep does once nothing references it
	if held, _ := n.ledger.IsReplica(q.ID); held || stored(t, n, q.ID) {
		t.Fatal("the sweep kept a copy whose deletion was noticed during its fetch")
	}

	// A request that begins after the notice is a new version: it clears
	// the candidate.
	if err := n.repl.Keep(ctx, q); err != nil {
		t.Fatal(err)
	}
	n.ledger.MarkCandidate(q.ID)
	time.Sleep(time.Millisecond) // the clock must move past the notice
	if err := n.repl.Keep(ctx, q); err != nil {
		t.Fatal(err)
	}
	if c, _ := n.ledger.Candidates(); len(c) != 0 {
		t.Fatalf("a replicate request after the notice left the candidate: %v", c)
	}
	if held, _ := n.ledger.IsReplica(q.ID); !held || !stored(t, n, q.ID) {
		t.Fatal("the new version's replica is not held")
	}
}

// TestCandidateLeadsNoRepair: a node leads no copy of a version whose
// bytes are a collection candidate here; holders that already collected
// theirs would otherwise get copies no notice collects.
func TestCandidateLeadsNoRepair(t *testing.T) {
	n := openNode(t, t.TempDir())
	ctx := t.Context()
	obj := heldReplica(t, n, 10<<10)
	n.ledger.MarkCandidate(obj.ID)
	if c, err := n.ledger.Candidates(); err != nil || len(c) != 1 {
		t.Fatalf("candidates %v, %v", c, err)
	}
	// This node first in placement order, the others missing a copy: it
	// would lead.
	others := testPeers(t, 2)
	pl := repair.Plan{Item: repair.Item{ID: obj.ID, Replica: true}, Holders: []peer.ID{n.mem.id, others[0], others[1]}, Collecting: true}
	if under, _ := n.repair.Decide(ctx, pl, nil); !under {
		t.Error("a candidate with 1 copy of 3 not reported under-replicated")
	}
	if ts, _ := n.repl.Queued(); len(ts) != 0 {
		t.Fatalf("a collection candidate queued copies: %v", ts)
	}
	pl.Collecting = false
	n.repair.Decide(ctx, pl, nil)
	if ts, _ := n.repl.Queued(); len(ts) != 2 {
		t.Fatalf("the same version, not a candidate: queued %v, want 2 tasks", ts)
	}
}

// TestHolderDownDuringDeleteCollects: a holder that was down when a
// version was deleted (no notice, and it never reads the bucket) drops
// its copy after it comes back, and does not copy it back to the holders
// that collected theirs. Either the repair pass finds it (it would lead
// a copy of a replica no version references) or, with repair idle, the
// orphan scan does.
func TestHolderDownDuringDeleteCollects(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*Config)
	}{
		{"repair", func(c *Config) {
			c.ReplicaGC, c.RepairInterval, c.repairCheckAge = 100*time.Millisecond, 300*time.Millisecond, time.Nanosecond
		}},
		{"orphan scan", func(c *Config) {
			c.ReplicaGC, c.RepairInterval, c.OrphanScan = 100*time.Millisecond, time.Hour, 300*time.Millisecond
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			nodes, u := startThree(t, tc.edit)
			gone := randomBytes(t, 100<<10)
			id := putIn(t, nodes[0], u, "gone", gone)
			eventually(t, 20*time.Second, "node 2 records its replica", func() bool {
				held, _ := nodes[2].ledger.IsReplica(id)
				return held
			})
			dir := nodes[2].cfg.DataDir
			if err := nodes[2].Close(); err != nil {
				t.Fatal(err)
			}
			if err := nodes[0].DeleteObject(t.Context(), u, "gcbucket", "gone"); err != nil {
				t.Fatal(err)
			}
			for i, n := range nodes[:2] {
				eventually(t, 20*time.Second, fmt.Sprintf("node %d drops the deleted object", i), func() bool { return !stored(t, n, id) })
			}
			back := startNodeIn(t, dir, "", tc.edit)
			if !stored(t, back, id) {
				t.Fatal("the restarted holder lost its copy before the test")
			}
			eventually(t, 30*time.Second, "the holder that missed the delete drops its copy", func() bool { return !stored(t, back, id) })
			for i, n := range nodes[:2] {
				if stored(t, n, id) {
					t.Errorf("node %d holds the deleted object again", i)
				}
			}
		})
	}
}

// TestAloneCollectsNothing: a node connected to no other member cannot
// check the network's catalogue (its DHT would answer from its own
// memory), so its sweep releases nothing, and its repair copies a
// replica it cannot check rather than drop it (a copy too many costs
// disk; one too few can cost the object).
func TestAloneCollectsNothing(t *testing.T) {
	n := startNodeWith(t, "", func(*Config) {})
	ctx := t.Context()
	obj := heldReplica(t, n, 20<<10)
	n.ledger.MarkCandidate(obj.ID)
	n.db.Update(func(txn *badger.Txn) error { // noted long ago: due
		return txn.Set([]byte("node/gc/"+hex.EncodeToString(obj.ID[:])), binary.BigEndian.AppendUint64(nil, 1))
	})
	if err := n.collect.Sweep(ctx); !errors.Is(err, collect.ErrNoMembers) {
		t.Fatalf("sweep alone: %v, want collect.ErrNoMembers", err)
	}
	if held, _ := n.ledger.IsReplica(obj.ID); !held || !stored(t, n, obj.ID) {
		t.Fatal("a node alone collected a replica")
	}

	missing := testPeers(t, 1)
	if err := n.repair.VerifyLeads(ctx, map[swarm.ID][]peer.ID{obj.ID: missing}); err != nil {
		t.Fatalf("verifyLeads alone: %v", err)
	}
	ts, err := n.repl.Queued()
	if err != nil || len(ts) != 1 || ts[0].Holder != missing[0] {
		t.Fatalf("repair alone queued %v, %v; want the copy to the missing holder", ts, err)
	}
}
