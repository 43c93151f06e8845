package node

import (
	"bytes"
	"slices"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/d3s/d3s/node/repair"
	"github.com/d3s/d3s/s3"
	"github.com/d3s/d3s/swarm"
)

// heldItems collects everything walkHeld yields.
func heldItems(t *testing.T, n *Node) []repair.Item {
	t.Helper()
	var all []repair.Item
	if err := n.repair.Walk(t.Context(), func(items []repair.Item) error {
		all = append(all, items...)
		return nil
	}); err != nil {
		t.Fatalf("walkHeld: %v", err)
	}
	return all
}

// hasFrom builds a have map: each listed peer has id.
func hasFrom(id swarm.ID, ps ...peer.ID) map[peer.ID]map[swarm.ID]bool {
	out := make(map[peer.ID]map[swarm.ID]bool)
	for _, p := range ps {
		out[p] = map[swarm.ID]bool{id: true}
	}
	return out
}

// heldReplica stores size random bytes on n as a replica: the Put's
// reference is the replica's.
func heldReplica(t *testing.T, n *Node, size int) swarm.Object {
	t.Helper()
	data := randomBytes(t, size)
	obj, err := n.swarm.Put(t.Context(), bytes.NewReader(data), int64(len(data)), swarm.Expect{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.ledger.MarkReplica(obj.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	return obj
}

// TestNonHolderDropsReplicaOnlyWhenAllHoldersHaveIt: a replica on a node
// that is not one of the version's holders stays while any holder lacks
// a copy, and goes (reference released) once all R confirmed theirs.
func TestNonHolderDropsReplicaOnlyWhenAllHoldersHaveIt(t *testing.T) {
	n := openNode(t, t.TempDir())
	ctx := t.Context()
	obj := heldReplica(t, n, 64<<10)
	holders := testPeers(t, 3)
	pl := repair.Plan{Item: repair.Item{ID: obj.ID, Replica: true}, Holders: holders}
	for _, has := range []map[peer.ID]map[swarm.ID]bool{
		nil, hasFrom(obj.ID, holders[0]), hasFrom(obj.ID, holders[0], holders[1]),
		hasFrom(obj.ID, holders[1], holders[2]),
	} {
		if under, _ := n.repair.Decide(ctx, pl, has); !under {
			t.Errorf("%d of 3 holders have it: not reported under-replicated", len(has))
		}
		if held, _ := n.ledger.IsReplica(obj.ID); !held || !stored(t, n, obj.ID) {
			t.Fatalf("%d of 3 holders have it: the non-holder dropped its copy", len(has))
		}
	}
	// Only with no holder having it does this node lead: one task to
	// each holder.
	ts, err := n.repl.Queued()
	if err != nil || len(ts) != 3 {
		t.Fatalf("queued %v, %v; want one task per holder", ts, err)
	}
	if under, _ := n.repair.Decide(ctx, pl, hasFrom(obj.ID, holders...)); under {
		t.Error("all 3 holders have it: reported under-replicated")
	}
	if held, _ := n.ledger.IsReplica(obj.ID); held || stored(t, n, obj.ID) {
		t.Error("all holders have it: the non-holder kept its replica")
	}
}

// TestRepairLeaderQueuesMissingHolders: the first holder in placement
// order with a copy leads; this node queues tasks only when it is that
// one, and only to the holders without a copy.
func TestRepairLeaderQueuesMissingHolders(t *testing.T) {
	n := openNode(t, t.TempDir())
	ctx := t.Context()
	obj := heldReplica(t, n, 10<<10)
	others := testPeers(t, 2)
	// This node second in placement order, the first holder has a copy:
	// not the leader.
	pl := repair.Plan{Item: repair.Item{ID: obj.ID, Replica: true}, Holders: []peer.ID{others[0], n.mem.id, others[1]}}
	n.repair.Decide(ctx, pl, hasFrom(obj.ID, others[0]))
	if ts, _ := n.repl.Queued(); len(ts) != 0 {
		t.Fatalf("a holder behind one with a copy queued %v", ts)
	}
	// The first holder has none: this node leads and sends to both.
	n.repair.Decide(ctx, pl, nil)
	ts, _ := n.repl.Queued()
	var to []peer.ID
	for _, task := range ts {
		to = append(to, task.Holder)
	}
	slices.Sort(to)
	want := slices.Clone(others)
	slices.Sort(want)
	if !slices.Equal(to, want) {
		t.Fatalf("leader queued tasks to %v, want %v", to, want)
	}
	// A damaged local copy neither counts nor leads.
	for _, task := range ts {
		n.repl.Dequeue(task)
	}
	n.repair.MarkDamaged(obj.ID)
	if under, _ := n.repair.Decide(ctx, pl, hasFrom(obj.ID, others[1])); !under {
		t.Error("a damaged local copy counted as a copy")
	}
	if ts, _ := n.repl.Queued(); len(ts) != 0 {
		t.Errorf("a node with a damaged copy led: %v", ts)
	}
}

// TestWriterHandsOverToHolders: the writer of versions it is not a
// holder of keeps its references until every holder confirmed a copy,
// then releases exactly one per version; deleting a handed-over version
// later releases nothing, so another version with the same bytes keeps
// them.
func TestWriterHandsOverToHolders(t *testing.T) {
	n := openNode(t, t.TempDir())
	ctx := t.Context()
	u := s3.User{AccessKeyID: n.FirstUser().AccessKeyID, Name: "admin"}
	if err := n.CreateBucket(ctx, u, "b"); err != nil {
		t.Fatal(err)
	}
	data := randomBytes(t, 200<<10)
	putOn(t, n, u, "b", "k", data)
	if _, err := n.CopyObject(ctx, u, "b", "k", "b", "copy", s3.CopyOptions{}); err != nil {
		t.Fatal(err)
	}
	items := heldItems(t, n)
	if len(items) != 1 || len(items[0].Own) != 2 || items[0].Replica {
		t.Fatalf("walkHeld = %+v; want one infohash with two own versions", items)
	}
	id := items[0].ID
	holders := testPeers(t, 3)
	pl := repair.Plan{Item: items[0], Holders: holders}
	n.repair.Decide(ctx, pl, hasFrom(id, holders[0], holders[2]))
	for _, key := range []string{"k", "copy"} {
		if held, err := n.Holds(ctx, u.AccessKeyID, "b", key); !held || err != nil {
			t.Fatalf("%s: writer gave up its copy with a holder missing (%v)", key, err)
		}
	}
	n.repair.Decide(ctx, pl, hasFrom(id, holders...))
	for _, key := range []string{"k", "copy"} {
		if held, err := n.Holds(ctx, u.AccessKeyID, "b", key); held || err != nil {
			t.Fatalf("%s: writer kept its copy after all holders confirmed (%v)", key, err)
		}
	}
	if stored(t, n, id) {
		t.Fatal("both references handed over, the bytes stayed")
	}
	if items := heldItems(t, n); len(items) != 0 {
		t.Fatalf("walkHeld after handover = %+v, want nothing", items)
	}
	// Same bytes again under a new key: a fresh reference. Deleting the
	// handed-over versions must not take it.
	putOn(t, n, u, "b", "again", data)
	for _, key := range []string{"k", "copy"} {
		if err := n.DeleteObject(ctx, u, "b", key); err != nil {
			t.Fatal(err)
		}
	}
	if got := getFrom(t, n, u, "again"); !bytes.Equal(got, data) {
		t.Fatal("deleting handed-over versions released another version's bytes")
	}
	if held, err := n.Holds(ctx, u.AccessKeyID, "b", "again"); !held || err != nil {
		t.Fatalf("the new version is not held (%v)", err)
	}
}

// getFrom reads bucket b's key through n's GetObject.
func getFrom(t *testing.T, n *Node, u s3.User, key string) []byte {
	t.Helper()
	_, r, err := n.GetObject(t.Context(), u, "b", key)
	if err != nil {
		t.Fatalf("GET %s: %v", key, err)
	}
	defer r.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(r); err != nil {
		t.Fatalf("read %s: %v", key, err)
	}
	return buf.Bytes()
}

// TestAdoptOwnVersionAsReplica: a writer that is one of its version's
// holders records a replica reference on it, so it answers "have".
func TestAdoptOwnVersionAsReplica(t *testing.T) {
	n := openNode(t, t.TempDir())
	ctx := t.Context()
	u := s3.User{AccessKeyID: n.FirstUser().AccessKeyID, Name: "admin"}
	if err := n.CreateBucket(ctx, u, "b"); err != nil {
		t.Fatal(err)
	}
	putOn(t, n, u, "b", "k", randomBytes(t, 30<<10))
	items := heldItems(t, n)
	if len(items) != 1 {
		t.Fatalf("walkHeld = %+v", items)
	}
	id := items[0].ID
	if has, _ := n.repair.HasCopies(ctx, []swarm.ID{id}); has[0] {
		t.Fatal("an own write answers have before adoption")
	}
	// Alone, the node is the only holder: nobody would ask, nothing to
	// adopt.
	if _, adopt := n.repair.Decide(ctx, repair.Plan{Item: items[0], Holders: []peer.ID{n.mem.id}}, nil); adopt {
		t.Error("the only live holder adopts its own write")
	}
	others := testPeers(t, 2)
	_, adopt := n.repair.Decide(ctx, repair.Plan{Item: items[0], Holders: []peer.ID{others[0], n.mem.id, others[1]}}, hasFrom(id, others...))
	if !adopt {
		t.Fatal("a writer that is one of 3 holders does not adopt its version")
	}
	n.repair.AdoptAll(ctx, []repair.Item{items[0]})
	if has, _ := n.repair.HasCopies(ctx, []swarm.ID{id}); !has[0] {
		t.Fatal("a writer that is a holder does not answer have after a pass")
	}
	// Deleting the version: the own reference goes at once, the adopted
	// replica with the next collection sweep.
	if err := n.DeleteObject(ctx, u, "b", "k"); err != nil {
		t.Fatal(err)
	}
	if c, err := n.ledger.Candidates(); err != nil || len(c) != 1 {
		t.Fatalf("the adopted replica of a deleted version is not a collection candidate: %v, %v", c, err)
	}
}
