package catalog

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sync"
	"testing"
	"time"
)

// listKeys returns the keys a ListObjects on c would show.
func listKeys(t testing.TB, c *Catalog, user, bucket string) []string {
	t.Helper()
	it, err := c.Objects(t.Context(), user, bucket, "")
	if err != nil {
		t.Fatalf("list %s: %v", bucket, err)
	}
	defer it.Close()
	var keys []string
	for it.Next() {
		keys = append(keys, it.Entry().Key)
	}
	if err := it.Err(); err != nil {
		t.Fatal(err)
	}
	return keys
}

func flush(t testing.TB, cs ...*Catalog) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	for _, c := range cs {
		if err := c.Flush(ctx); err != nil {
			t.Fatalf("flush: %v", err)
		}
	}
}

// eventually polls cond, refreshing nothing itself, until it holds or the
// deadline passes; it reports the last failure.
func eventually(t testing.TB, what string, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %v", what, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// seesKeys waits until c, refreshing, lists exactly want keys.
func seesKeys(t testing.TB, c *Catalog, user, bucket string, want int) []string {
	t.Helper()
	var keys []string
	eventually(t, "listing", func() error {
		if err := c.Refresh(t.Context(), user, bucket); err != nil {
			return err
		}
		if _, err := c.HeadBucket(t.Context(), user, bucket); err != nil {
			return err
		}
		keys = listKeys(t, c, user, bucket)
		if len(keys) != want {
			return fmt.Errorf("%d keys, want %d", len(keys), want)
		}
		return nil
	})
	return keys
}

// sharedBucket creates bucket on the first catalogue and waits until the
// others see it.
func sharedBucket(t *testing.T, n *testNet, bucket string, cs ...*Catalog) {
	t.Helper()
	if err := cs[0].CreateBucket(t.Context(), n.user, bucket); err != nil {
		t.Fatal(err)
	}
	flush(t, cs[0])
	for _, c := range cs[1:] {
		seesKeys(t, c, n.user, bucket, 0)
	}
}

func putN(t *testing.T, c *Catalog, user, bucket, prefix string, n int) {
	t.Helper()
	for i := range n {
		e := &Entry{Key: fmt.Sprintf("%s%04d", prefix, i), Size: int64(i), ETag: prefix}
		if _, err := c.Put(t.Context(), user, bucket, e, nil); err != nil {
			t.Errorf("put %s: %v", e.Key, err)
			return
		}
	}
}

func TestConcurrentWritersConverge(t *testing.T) {
	n := newNet(t)
	a, b, c := n.node(t, "node-a"), n.node(t, "node-b"), n.node(t, "node-c")
	sharedBucket(t, n, "shared", a, b, c)
	var wg sync.WaitGroup
	wg.Go(func() { putN(t, a, n.user, "shared", "a/", 500) })
	wg.Go(func() { putN(t, b, n.user, "shared", "b/", 500) })
	wg.Wait()
	flush(t, a, b)
	for i, cat := range []*Catalog{a, b, c} {
		keys := seesKeys(t, cat, n.user, "shared", 1000)
		if keys[0] != "a/0000" || keys[999] != "b/0499" {
			t.Errorf("node %d lists %q..%q", i, keys[0], keys[999])
		}
	}
	e, err := c.Get(t.Context(), n.user, "shared", "b/0042")
	if err != nil || e.Writer != "node-b" || e.Size != 42 {
		t.Fatalf("b/0042 on node c = %+v, %v", e, err)
	}
	if h := n.recs.head(t, n.user, "shared"); h.Size() > 512<<10 {
		t.Errorf("head of %d bytes", h.Size())
	}
}

func TestDeletesConverge(t *testing.T) {
	n := newNet(t)
	a, b, c := n.node(t, "node-a"), n.node(t, "node-b"), n.node(t, "node-c")
	sharedBucket(t, n, "bkt", a, b, c)
	putN(t, a, n.user, "bkt", "k", 100)
	flush(t, a)
	seesKeys(t, b, n.user, "bkt", 100)
	for i := 0; i < 100; i += 2 {
		key := fmt.Sprintf("k%04d", i)
		if removed, err := b.Delete(t.Context(), n.user, "bkt", key); err != nil || removed == nil {
			t.Fatalf("delete %s on b: %v, %v", key, removed, err)
		}
	}
	flush(t, b)
	for _, cat := range []*Catalog{a, b, c} {
		keys := seesKeys(t, cat, n.user, "bkt", 50)
		if keys[0] != "k0001" {
			t.Fatalf("first key %q, want k0001", keys[0])
		}
		if _, err := cat.Get(t.Context(), n.user, "bkt", "k0000"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("get deleted key: %v", err)
		}
	}
}

// TestPutDeleteRaceConverges writes the same key on two nodes that have
// not seen each other's write: every node ends with the newer one.
func TestPutDeleteRaceConverges(t *testing.T) {
	n := newNet(t)
	a, b := n.node(t, "node-a"), n.node(t, "node-b")
	sharedBucket(t, n, "race", a, b)
	ctx := t.Context()
	// A put older than a delete: the delete wins.
	if _, err := a.Put(ctx, n.user, "race", &Entry{Key: "old-put"}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Delete(ctx, n.user, "race", "old-put"); err != nil {
		t.Fatal(err)
	}
	// A delete older than a put: the put wins.
	if _, err := b.Delete(ctx, n.user, "race", "new-put"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Put(ctx, n.user, "race", &Entry{Key: "new-put", Size: 7}, nil); err != nil {
		t.Fatal(err)
	}
	flush(t, a, b)
	for _, cat := range []*Catalog{a, b} {
		keys := seesKeys(t, cat, n.user, "race", 1)
		if keys[0] != "new-put" {
			t.Fatalf("keys %q, want [new-put]", keys)
		}
		if _, err := cat.Get(ctx, n.user, "race", "old-put"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("old-put: %v", err)
		}
	}
}

// TestDeleteAgainBeatsUnmergedPut: a key already deleted on b, PUT
// again on a (not merged into b yet), then deleted on b once more: the
// second DELETE was acknowledged after the PUT, so once everything
// merges the key is gone everywhere (a repeated DELETE must still write
// a newer marker).
func TestDeleteAgainBeatsUnmergedPut(t *testing.T) {
	n := newNet(t)
	a, b := n.node(t, "node-a"), n.node(t, "node-b")
	sharedBucket(t, n, "again", a, b)
	ctx := t.Context()
	if _, err := a.Put(ctx, n.user, "again", &Entry{Key: "k", Size: 1}, nil); err != nil {
		t.Fatal(err)
	}
	flush(t, a)
	seesKeys(t, b, n.user, "again", 1)
	if _, err := b.Delete(ctx, n.user, "again", "k"); err != nil {
		t.Fatal(err)
	}
	flush(t, b)
	seesKeys(t, a, n.user, "again", 0)
	if _, err := a.Put(ctx, n.user, "again", &Entry{Key: "k", Size: 2}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Delete(ctx, n.user, "again", "k"); err != nil { // b has not merged a's PUT
		t.Fatal(err)
	}
	flush(t, a, b)
	for _, cat := range []*Catalog{a, b} {
		if _, err := cat.Get(ctx, n.user, "again", "k"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("k after the second DELETE: %v, want ErrNotFound", err)
		}
	}
}

func TestBucketCreateDeleteVisible(t *testing.T) {
	n := newNet(t)
	a, b := n.node(t, "node-a"), n.node(t, "node-b")
	ctx := t.Context()
	sharedBucket(t, n, "photos", a, b)
	list, err := b.ListBuckets(ctx, n.user)
	if err != nil || len(list) != 1 || list[0].Name != "photos" || list[0].Created.IsZero() {
		t.Fatalf("buckets on b = %+v, %v", list, err)
	}
	if err := b.CreateBucket(ctx, n.user, "photos"); !errors.Is(err, ErrBucketExists) {
		t.Fatalf("create existing on b: %v", err)
	}
	putN(t, a, n.user, "photos", "p", 1)
	flush(t, a)
	if err := b.DeleteBucket(ctx, n.user, "photos"); !errors.Is(err, ErrBucketNotEmpty) {
		t.Fatalf("delete bucket holding another node's object: %v", err)
	}
	if _, err := a.Delete(ctx, n.user, "photos", "p0000"); err != nil {
		t.Fatal(err)
	}
	flush(t, a)
	eventually(t, "delete emptied bucket on b", func() error {
		return b.DeleteBucket(ctx, n.user, "photos")
	})
	flush(t, b)
	eventually(t, "deletion reaches a", func() error {
		if err := a.Refresh(ctx, n.user, ""); err != nil {
			return err
		}
		if _, err := a.HeadBucket(ctx, n.user, "photos"); !errors.Is(err, ErrNoSuchBucket) {
			return fmt.Errorf("head deleted bucket: %v", err)
		}
		return nil
	})
	// Re-created, the bucket starts empty: the old entries stay dead.
	if err := a.CreateBucket(ctx, n.user, "photos"); err != nil {
		t.Fatal(err)
	}
	flush(t, a)
	seesKeys(t, b, n.user, "photos", 0)
}

func TestSnapshotCatchUp(t *testing.T) {
	n := newNet(t)
	cfg := n.syncConfig("node-a")
	cfg.MaxRecent = 16
	a := n.start(t, openDB(t, t.TempDir()), cfg)
	if err := a.CreateBucket(t.Context(), n.user, "big"); err != nil {
		t.Fatal(err)
	}
	for round := range 5 {
		putN(t, a, n.user, "big", fmt.Sprintf("r%d/", round), 20)
		flush(t, a)
	}
	h := n.recs.head(t, n.user, "big")
	if len(h.SnapshotID) == 0 || len(h.Entries) > 16 {
		t.Fatalf("head: snapshot %x, %d entries", h.SnapshotID, len(h.Entries))
	}
	putN(t, a, n.user, "big", "tail/", 3)
	flush(t, a)
	if h := n.recs.head(t, n.user, "big"); len(h.Entries) != 3 {
		t.Fatalf("head after snapshot carries %d entries, want 3", len(h.Entries))
	}
	late := n.node(t, "node-late")
	keys := seesKeys(t, late, n.user, "big", 103)
	if keys[0] != "r0/0000" || keys[102] != "tail/0002" {
		t.Fatalf("late node lists %q..%q", keys[0], keys[102])
	}
}

func TestOutboxSurvivesReopen(t *testing.T) {
	n := newNet(t)
	dir := t.TempDir()
	db := openDB(t, dir)
	local := newCatalog(t, db)
	if err := local.CreateBucket(t.Context(), n.user, "kept"); err != nil {
		t.Fatal(err)
	}
	putN(t, local, n.user, "kept", "k", 10)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	a := n.start(t, openDB(t, dir), n.syncConfig("node-a"))
	flush(t, a)
	seesKeys(t, n.node(t, "node-b"), n.user, "kept", 10)
}

func TestPublishRetriedAfterPutFailure(t *testing.T) {
	n := newNet(t)
	a, b := n.node(t, "node-a"), n.node(t, "node-b")
	sharedBucket(t, n, "flaky", a, b)
	n.recs.failNext(3)
	putN(t, a, n.user, "flaky", "k", 50)
	flush(t, a)
	seesKeys(t, b, n.user, "flaky", 50)
}

// TestRestartServesCacheWhenNetworkHangs restarts a node from its data
// directory while the network does not answer: reads are served from the
// cache within RefreshWait.
func TestRestartServesCacheWhenNetworkHangs(t *testing.T) {
	n := newNet(t)
	a := n.node(t, "node-a")
	if err := a.CreateBucket(t.Context(), n.user, "cached"); err != nil {
		t.Fatal(err)
	}
	putN(t, a, n.user, "cached", "k", 5)
	flush(t, a)

	dir := t.TempDir()
	db := openDB(t, dir)
	b, err := New(Config{DB: db, NodeID: "node-b"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	if err := b.StartSync(ctx, n.syncConfig("node-b")); err != nil {
		t.Fatal(err)
	}
	seesKeys(t, b, n.user, "cached", 5)
	cancel()
	b.Wait()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	n.recs.setBlock(true)
	t.Cleanup(func() { n.recs.setBlock(false) })
	cfg := n.syncConfig("node-b")
	cfg.RefreshWait = 100 * time.Millisecond
	b = n.start(t, openDB(t, dir), cfg)
	start := time.Now()
	for _, bucket := range []string{"", "cached"} {
		if err := b.Refresh(t.Context(), n.user, bucket); err != nil {
			t.Fatal(err)
		}
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("Refresh took %v with a hung network", d)
	}
	if keys := listKeys(t, b, n.user, "cached"); len(keys) != 5 {
		t.Fatalf("restarted node lists %d keys from its cache, want 5", len(keys))
	}
	short, stop := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer stop()
	if err := b.Refresh(short, n.user, "other"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Refresh past its deadline: %v", err)
	}
}

// TestRevalidateNeverPassesCacheOff: Revalidate merges what the network
// has now before it returns, and when the network does not answer (a
// hung lookup, or no record of a bucket merged before) it says so rather
// than leaving the cache to pass for the answer, as Refresh does.
func TestRevalidateNeverPassesCacheOff(t *testing.T) {
	n := newNet(t)
	a, b := n.node(t, "node-a"), n.node(t, "node-b")
	sharedBucket(t, n, "revalidate", a, b)
	putN(t, a, n.user, "revalidate", "k", 2)
	flush(t, a)
	seesKeys(t, b, n.user, "revalidate", 2)
	if _, err := a.Delete(t.Context(), n.user, "revalidate", "k0000"); err != nil {
		t.Fatal(err)
	}
	flush(t, a)
	if err := b.Revalidate(t.Context(), n.user, "revalidate"); err != nil {
		t.Fatalf("Revalidate: %v", err)
	}
	if keys := listKeys(t, b, n.user, "revalidate"); len(keys) != 1 {
		t.Fatalf("right after Revalidate the other node lists %v, want the delete merged", keys)
	}

	n.recs.mu.Lock()
	saved := maps.Clone(n.recs.m)
	clear(n.recs.m)
	n.recs.mu.Unlock()
	if err := b.Revalidate(t.Context(), n.user, "revalidate"); !errors.Is(err, ErrNoRecord) {
		t.Errorf("Revalidate of a merged bucket whose record is not found: %v, want ErrNoRecord", err)
	}
	if err := b.Revalidate(t.Context(), n.user, ""); !errors.Is(err, ErrNoRecord) {
		t.Errorf("Revalidate of a merged bucket list whose record is not found: %v, want ErrNoRecord", err)
	}
	time.Sleep(30 * time.Millisecond) // past Staleness
	if err := b.Refresh(t.Context(), n.user, "revalidate"); err != nil {
		t.Errorf("Refresh with no record found: %v, want the cache served", err)
	}
	n.recs.mu.Lock()
	n.recs.m = saved
	n.recs.mu.Unlock()

	n.recs.setBlock(true)
	t.Cleanup(func() { n.recs.setBlock(false) })
	short, stop := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer stop()
	if err := b.Revalidate(short, n.user, "revalidate"); err == nil {
		t.Error("Revalidate on a hung network returned no error")
	}
}
