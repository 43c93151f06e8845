package catalog

import (
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/d3s/d3s/catalog/internal/snapshot"
)

// currentSnapshot returns the manifest of the published head of bucket
// and its blobs' IDs (hex), read from the shared blob store.
func currentSnapshot(t testing.TB, n *testNet, bucket string) (snapshot.Manifest, map[string]bool) {
	t.Helper()
	h := n.recs.head(t, n.user, bucket)
	if len(h.SnapshotID) == 0 {
		return snapshot.Manifest{}, map[string]bool{}
	}
	data, err := n.blobs.GetBlob(t.Context(), h.SnapshotID, "")
	if err != nil {
		t.Fatalf("current manifest: %v", err)
	}
	m, err := snapshot.DecodeManifest(h.SnapshotID, data)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{hex.EncodeToString(h.SnapshotID): true}
	for _, r := range m.Runs {
		ids[hex.EncodeToString(r.ID)] = true
	}
	return m, ids
}

// fastDB is a database without synced writes, for tests that write many
// keys and do not test durability.
func fastDB(t testing.TB) *badger.DB {
	t.Helper()
	opts := badger.DefaultOptions(t.TempDir()).WithLogger(nil).WithSyncWrites(false).
		WithMemTableSize(32 << 20).WithNumMemtables(2).WithValueLogFileSize(64 << 20)
	db, err := badger.Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestSnapshotBytes100k fills a bucket with 100 000 keys through the
// publish path, publishing after every DefaultMaxRecent writes (the most
// snapshot cuts the head bound allows), and checks that the snapshot
// bytes written stay a small multiple of the final snapshot: the old
// whole-bucket snapshots wrote about 100 times it. A node that joins
// afterwards lists every key.
func TestSnapshotBytes100k(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 100 000 keys")
	}
	const keys = 100_000
	n := newNet(t)
	cfg := n.syncConfig("12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo")
	a := n.start(t, fastDB(t), cfg)
	if err := a.CreateBucket(t.Context(), n.user, "big"); err != nil {
		t.Fatal(err)
	}
	etag := strings.Repeat("0123456789abcdef", 2)
	start := time.Now()
	for i := range keys {
		e := &Entry{Key: fmt.Sprintf("photos/2026/%08d.jpg", i), Size: int64(i), ETag: etag}
		e.InfoHash[0], e.SHA256[0] = byte(i), byte(i>>8)
		if _, err := a.Put(t.Context(), n.user, "big", e, nil); err != nil {
			t.Fatal(err)
		}
		if (i+1)%DefaultMaxRecent == 0 {
			flush(t, a)
		}
	}
	flush(t, a)
	m, _ := currentSnapshot(t, n, "big")
	var final uint64
	for _, r := range m.Runs {
		final += r.Bytes
	}
	written, _ := n.blobs.stats()
	ratio := float64(written) / float64(final)
	t.Logf("%d keys in %v: snapshot blobs written %.1f MB, final snapshot %.1f MB in %d runs (%.1fx)",
		keys, time.Since(start).Round(time.Millisecond), float64(written)/1e6, float64(final)/1e6, len(m.Runs), ratio)
	if ratio > 20 || final == 0 {
		t.Errorf("wrote %d bytes of snapshots for a %d-byte snapshot (%.1fx)", written, final, ratio)
	}
	if len(m.Runs) > 12 {
		t.Errorf("manifest lists %d runs", len(m.Runs))
	}
	seesKeys(t, n.node(t, "node-late"), n.user, "big", keys)
}

// TestOldRunsReleasedAfterCompaction writes a bucket through many
// compactions and checks that the writer releases every superseded blob
// after BlobGrace, never one the current manifest lists, and that a node
// joining afterwards still catches up from what is left.
func TestOldRunsReleasedAfterCompaction(t *testing.T) {
	n := newNet(t)
	cfg := n.syncConfig("node-a")
	cfg.MaxRecent, cfg.BlobGrace = 16, 100*time.Millisecond
	a := n.start(t, openDB(t, t.TempDir()), cfg)
	if err := a.CreateBucket(t.Context(), n.user, "gcb"); err != nil {
		t.Fatal(err)
	}
	for round := range 12 {
		putN(t, a, n.user, "gcb", fmt.Sprintf("r%02d/", round), 20)
		if round%3 == 0 { // overwrites and deletes, merged away by compaction
			putN(t, a, n.user, "gcb", "r00/", 5)
			if _, err := a.Delete(t.Context(), n.user, "gcb", fmt.Sprintf("r%02d/0010", round)); err != nil {
				t.Fatal(err)
			}
		}
		flush(t, a)
	}
	_, current := currentSnapshot(t, n, "gcb")
	eventually(t, "only the current manifest's blobs held", func() error {
		n.blobs.mu.Lock()
		defer n.blobs.mu.Unlock()
		for id := range n.blobs.dropped {
			if current[id] {
				return fmt.Errorf("blob %s of the current manifest released", id[:8])
			}
		}
		if len(n.blobs.m) != len(current) || len(n.blobs.dropped) < 12 {
			return fmt.Errorf("%d blobs held, current manifest lists %d (released %d)", len(n.blobs.m), len(current), len(n.blobs.dropped))
		}
		return nil
	})
	seesKeys(t, n.node(t, "node-late"), n.user, "gcb", 12*20-4)
}

// TestDeletedBucketBlobsReleased checks that deleting a bucket makes its
// snapshot blobs garbage.
func TestDeletedBucketBlobsReleased(t *testing.T) {
	n := newNet(t)
	cfg := n.syncConfig("node-a")
	cfg.MaxRecent, cfg.BlobGrace = 8, 100*time.Millisecond
	a := n.start(t, openDB(t, t.TempDir()), cfg)
	if err := a.CreateBucket(t.Context(), n.user, "gone"); err != nil {
		t.Fatal(err)
	}
	putN(t, a, n.user, "gone", "k/", 10)
	flush(t, a)
	putN(t, a, n.user, "gone", "k/", 10) // overwrites: the head cuts a run
	flush(t, a)
	if _, held := n.blobs.stats(); held == 0 {
		t.Fatal("no snapshot written")
	}
	for i := range 10 {
		if _, err := a.Delete(t.Context(), n.user, "gone", fmt.Sprintf("k/%04d", i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.DeleteBucket(t.Context(), n.user, "gone"); err != nil {
		t.Fatal(err)
	}
	flush(t, a)
	eventually(t, "blobs of the deleted bucket released", func() error {
		if _, held := n.blobs.stats(); held != 0 {
			return fmt.Errorf("%d blobs held", held)
		}
		return nil
	})
}

// TestRemoteMergeReportsReplaced checks OnReplaced: a newer remote
// version, a remote delete and a bucket deletion each hand the local
// version they removed to the hook, once; delete markers are never handed.
func TestRemoteMergeReportsReplaced(t *testing.T) {
	n := newNet(t)
	got := make(chan *Entry, 16)
	cfgA := n.syncConfig("node-a")
	cfgA.OnReplaced = func(e *Entry) { got <- e }
	a := n.start(t, openDB(t, t.TempDir()), cfgA)
	b := n.node(t, "node-b")
	sharedBucket(t, n, "rep", a, b)
	for _, key := range []string{"over", "del", "stay"} {
		e := &Entry{Key: key, ETag: "from-a"}
		e.InfoHash[0] = key[0]
		if _, err := a.Put(t.Context(), n.user, "rep", e, nil); err != nil {
			t.Fatal(err)
		}
	}
	flush(t, a)
	seesKeys(t, b, n.user, "rep", 3)
	if _, err := b.Put(t.Context(), n.user, "rep", &Entry{Key: "over", ETag: "from-b"}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Delete(t.Context(), n.user, "rep", "del"); err != nil {
		t.Fatal(err)
	}
	flush(t, b)
	seesKeys(t, a, n.user, "rep", 2)
	want := map[string]bool{"over": true, "del": true}
	for range 2 {
		select {
		case e := <-got:
			if !want[e.Key] || e.Writer != "node-a" || e.ETag != "from-a" {
				t.Fatalf("OnReplaced(%+v)", e)
			}
			delete(want, e.Key)
		case <-time.After(5 * time.Second):
			t.Fatalf("OnReplaced not called for %v", want)
		}
	}
	// b empties and deletes the bucket: a's version of "stay" leaves a's
	// index once, by b's delete marker or by the purge of the bucket.
	for _, key := range []string{"over", "stay"} {
		if _, err := b.Delete(t.Context(), n.user, "rep", key); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.DeleteBucket(t.Context(), n.user, "rep"); err != nil {
		t.Fatal(err)
	}
	flush(t, b)
	eventually(t, "a reports its version of stay", func() error {
		a.Refresh(t.Context(), n.user, "")
		a.Refresh(t.Context(), n.user, "rep")
		select {
		case e := <-got:
			if e.Writer == "node-b" {
				return fmt.Errorf("b's version of %s reported", e.Key) // a held b's versions too
			}
			if e.Key != "stay" || e.InfoHash[0] != 's' {
				t.Fatalf("OnReplaced(%+v), want a's version of stay", e)
			}
			return nil
		default:
			return fmt.Errorf("not yet")
		}
	})
	eventually(t, "a drops the bucket", func() error {
		a.Refresh(t.Context(), n.user, "")
		if _, err := a.HeadBucket(t.Context(), n.user, "rep"); err == nil {
			return fmt.Errorf("bucket still there")
		}
		return nil
	})
	select {
	case e := <-got:
		if e.Writer == "node-a" {
			t.Fatalf("extra OnReplaced(%+v)", e)
		}
	case <-time.After(200 * time.Millisecond):
	}
}
