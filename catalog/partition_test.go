package catalog

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/d3s/d3s/dht/record"
)

// side is the record and blob store one side of a partition sees: the
// network's own, or a copy taken when the network split.
type side struct {
	mu    sync.Mutex
	recs  *memRecords
	blobs *memBlobs
}

func (s *side) get() (*memRecords, *memBlobs) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.recs, s.blobs
}

func (s *side) set(r *memRecords, b *memBlobs) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.recs, s.blobs = r, b
}

// sideRecords and sideBlobs route a catalogue to its side's stores.
type sideRecords struct{ s *side }

func (r sideRecords) GetRecord(ctx context.Context, key string) ([]byte, error) {
	recs, _ := r.s.get()
	return recs.GetRecord(ctx, key)
}

func (r sideRecords) PutRecord(ctx context.Context, key string, value []byte) error {
	recs, _ := r.s.get()
	return recs.PutRecord(ctx, key, value)
}

type sideBlobs struct{ s *side }

func (b sideBlobs) PutBlob(ctx context.Context, data []byte) ([]byte, error) {
	_, blobs := b.s.get()
	return blobs.PutBlob(ctx, data)
}

func (b sideBlobs) GetBlob(ctx context.Context, id []byte, from string) ([]byte, error) {
	_, blobs := b.s.get()
	return blobs.GetBlob(ctx, id, from)
}

func (b sideBlobs) ReleaseBlob(ctx context.Context, id []byte) error {
	_, blobs := b.s.get()
	return blobs.ReleaseBlob(ctx, id)
}

// split gives s copies of the network's stores: from now on its
// catalogues and the others' publish without seeing each other.
func (n *testNet) split(s *side) {
	n.recs.mu.Lock()
	recs := newMemRecords()
	for k, v := range n.recs.m {
		recs.m[k] = v
	}
	n.recs.mu.Unlock()
	n.blobs.mu.Lock()
	blobs := &memBlobs{m: make(map[string][]byte)}
	for k, v := range n.blobs.m {
		blobs.m[k] = v
	}
	n.blobs.mu.Unlock()
	s.set(recs, blobs)
}

// heal joins s's stores back into the network's: every record goes to
// the network's store, which keeps per key the one Select prefers (the
// higher sequence), as DHT peers do once they see each other again, and
// every blob becomes reachable from both sides.
func (n *testNet) heal(t *testing.T, s *side) {
	t.Helper()
	recs, blobs := s.get()
	recs.mu.Lock()
	for k, v := range recs.m {
		if err := n.recs.PutRecord(t.Context(), k, v); err != nil && !errors.Is(err, record.ErrStaleRecord) {
			t.Fatalf("heal %s: %v", k, err)
		}
	}
	recs.mu.Unlock()
	blobs.mu.Lock()
	for id, data := range blobs.m {
		n.blobs.mu.Lock()
		n.blobs.m[id] = data
		n.blobs.mu.Unlock()
	}
	blobs.mu.Unlock()
	s.set(n.recs, n.blobs)
}

// sideNode starts a catalogue that publishes through s.
func (n *testNet) sideNode(t *testing.T, s *side, id string) *Catalog {
	t.Helper()
	cfg := n.syncConfig(id)
	cfg.Records, cfg.Blobs = sideRecords{s}, sideBlobs{s}
	cfg.VerifyInterval = 50 * time.Millisecond
	return n.start(t, openDB(t, t.TempDir()), cfg)
}

// TestPartitionHealKeepsAcknowledgedWrites splits two writers, lets each
// write, delete, create a bucket and settle on its side (so their
// outboxes are empty), and heals: the head and bucket list with the
// higher sequence win everywhere, and the writer whose writes they lost
// republishes them without anyone reading on its node. Every node then
// lists the union; deletes and overwrites race by last-writer-wins.
func TestPartitionHealKeepsAcknowledgedWrites(t *testing.T) {
	n := newNet(t)
	sa, sb := &side{recs: n.recs, blobs: n.blobs}, &side{recs: n.recs, blobs: n.blobs}
	a, b := n.sideNode(t, sa, "node-a"), n.sideNode(t, sb, "node-b")
	ctx := t.Context()
	sharedBucket(t, n, "part", a, b)
	putN(t, a, n.user, "part", "k", 10)
	flush(t, a)
	seesKeys(t, b, n.user, "part", 10)

	n.split(sb)
	del := func(c *Catalog, key string) {
		t.Helper()
		if _, err := c.Delete(ctx, n.user, "part", key); err != nil {
			t.Fatal(err)
		}
	}
	del(a, "k0002") // then overwritten on b: b's later put wins
	putN(t, b, n.user, "part", "k", 4)
	del(a, "k0003") // after b's overwrite: the delete wins
	del(b, "k0004")
	del(a, "k0005")
	putN(t, b, n.user, "part", "b/", 20)
	for _, c := range []struct {
		cat    *Catalog
		bucket string
	}{{a, "only-a"}, {b, "only-b"}} {
		if err := c.cat.CreateBucket(ctx, n.user, c.bucket); err != nil {
			t.Fatal(err)
		}
	}
	flush(t, b)
	for round := range 5 { // more heads on a's side: a's wins the heal
		putN(t, a, n.user, "part", fmt.Sprintf("a%d/", round), 4)
		flush(t, a)
	}
	for _, c := range []*Catalog{a, b} {
		for _, bucket := range []string{"", "part"} {
			if empty, err := c.store.Outbox().Empty(bkey{User: n.user, Bucket: bucket}); err != nil || !empty {
				t.Fatalf("outbox of %q not settled before the heal: %v", bucket, err)
			}
		}
	}
	recsB, _ := sb.get()
	if ha, hb := n.recs.head(t, n.user, "part"), recsB.head(t, n.user, "part"); ha.Seq <= hb.Seq {
		t.Fatalf("head sequences a %d, b %d: a's side must win", ha.Seq, hb.Seq)
	}

	n.heal(t, sb)
	c := n.node(t, "node-c")
	want := 7 + 20 + 20 // k0000-1, k0002 (b's), k0006-9; a*/; b/
	for _, cat := range []*Catalog{c, a, b} {
		seesKeys(t, cat, n.user, "part", want)
		got, err := cat.Get(ctx, n.user, "part", "k0002")
		if err != nil || got.Writer != "node-b" {
			t.Fatalf("k0002 = %+v, %v; want b's overwrite", got, err)
		}
		for _, key := range []string{"k0003", "k0004", "k0005"} {
			if _, err := cat.Get(ctx, n.user, "part", key); !errors.Is(err, ErrNotFound) {
				t.Fatalf("deleted %s: %v", key, err)
			}
		}
		eventually(t, "both sides' buckets listed", func() error {
			if err := cat.Refresh(ctx, n.user, ""); err != nil {
				return err
			}
			list, err := cat.ListBuckets(ctx, n.user)
			if err != nil {
				return err
			}
			var names []string
			for _, bk := range list {
				names = append(names, bk.Name)
			}
			if !slices.Equal(names, []string{"only-a", "only-b", "part"}) {
				return fmt.Errorf("buckets %q", names)
			}
			return nil
		})
	}
	h := n.recs.head(t, n.user, "part")
	if h.FrontierOf("node-a").Wall == 0 || h.FrontierOf("node-b").Wall == 0 {
		t.Fatalf("head frontier %+v lacks a writer", h.Frontier)
	}
}

// TestNextFrontier checks how a head's frontier follows its base and the
// entries it adds: per writer the latest time, old marks left out, at
// most record.MaxFrontier marks, sorted by writer.
func TestNextFrontier(t *testing.T) {
	base := []record.FrontierMark{
		{Writer: "a", Time: record.HLC{Wall: 50}},
		{Writer: "b", Time: record.HLC{Wall: 80}},
		{Writer: "old", Time: record.HLC{Wall: 5}},
	}
	pending := []*Entry{
		{Key: "x", Writer: "a", Time: Time{Wall: 60, Logical: 2}},
		{Key: "y", Writer: "a", Time: Time{Wall: 55}},
		{Key: "z", Writer: "c", Time: Time{Wall: 70}},
		{Key: "w", Writer: "b", Time: Time{Wall: 10}},
	}
	got := nextFrontier(base, pending, Time{Wall: 10})
	want := []record.FrontierMark{
		{Writer: "a", Time: record.HLC{Wall: 60, Logical: 2}},
		{Writer: "b", Time: record.HLC{Wall: 80}},
		{Writer: "c", Time: record.HLC{Wall: 70}},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("frontier %+v, want %+v", got, want)
	}
	var many []record.FrontierMark
	for i := range record.MaxFrontier + 10 {
		many = append(many, record.FrontierMark{Writer: fmt.Sprintf("w%05d", i), Time: record.HLC{Wall: int64(100 + i)}})
	}
	got = nextFrontier(many, nil, Time{})
	if len(got) != record.MaxFrontier || got[0].Writer != "w00010" {
		t.Fatalf("capped frontier: %d marks from %q, want the %d newest", len(got), got[0].Writer, record.MaxFrontier)
	}
}
