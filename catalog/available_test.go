package catalog

import (
	"bytes"
	"errors"
	"testing"
	"time"
)

// bigBucket creates bucket on a with keys past a snapshot cut (MaxRecent
// 16), published, and returns a's catalogue.
func bigBucket(t *testing.T, n *testNet, bucket string, keys int) *Catalog {
	t.Helper()
	cfg := n.syncConfig("node-a")
	cfg.MaxRecent = 16
	a := n.start(t, openDB(t, t.TempDir()), cfg)
	if err := a.CreateBucket(t.Context(), n.user, bucket); err != nil {
		t.Fatal(err)
	}
	putN(t, a, n.user, bucket, "k", keys)
	flush(t, a)
	if h := n.recs.head(t, n.user, bucket); len(h.SnapshotID) == 0 {
		t.Fatal("no snapshot cut")
	}
	return a
}

// cutNode starts a catalogue whose blob fetches fail while its view's
// off is set.
func cutNode(t *testing.T, n *testNet, id string) (*Catalog, *cutBlobs) {
	t.Helper()
	view := &cutBlobs{memBlobs: n.blobs}
	cfg := n.syncConfig(id)
	cfg.Blobs = view
	return n.start(t, openDB(t, t.TempDir()), cfg), view
}

// TestUnfetchableSnapshotIsUnavailable: a node that sees a bucket's head
// but cannot fetch the snapshot it points to (every holder down) answers
// ErrUnavailable, never its empty cache; once the blobs are reachable it
// lists every key.
func TestUnfetchableSnapshotIsUnavailable(t *testing.T) {
	n := newNet(t)
	bigBucket(t, n, "big", 100)
	b, view := cutNode(t, n, "node-b")
	view.off.Store(true)
	err := b.Refresh(t.Context(), n.user, "big")
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Refresh of a bucket whose snapshot cannot be fetched = %v, want ErrUnavailable", err)
	}
	// Still unavailable on later reads, after every revalidation.
	time.Sleep(2 * n.syncConfig("").Staleness)
	if err := b.Refresh(t.Context(), n.user, "big"); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("second Refresh = %v, want ErrUnavailable", err)
	}
	view.off.Store(false)
	seesKeys(t, b, n.user, "big", 100)
}

// TestNewHeadUnmergedIsUnavailable: a node that merged a bucket before,
// then sees a newer head whose new run it cannot fetch, stops serving its
// (now incomplete) cache until it can merge.
func TestNewHeadUnmergedIsUnavailable(t *testing.T) {
	n := newNet(t)
	a := bigBucket(t, n, "big", 40)
	b, view := cutNode(t, n, "node-b")
	seesKeys(t, b, n.user, "big", 40)
	view.off.Store(true)
	putN(t, a, n.user, "big", "m", 40)
	flush(t, a)
	eventually(t, "unavailable after an unmergeable head", func() error {
		if err := b.Refresh(t.Context(), n.user, "big"); !errors.Is(err, ErrUnavailable) {
			return errors.New("still served")
		}
		return nil
	})
	view.off.Store(false)
	seesKeys(t, b, n.user, "big", 80)
}

// TestNeverMergedHungNetworkIsUnavailable: a bucket this node never merged
// is not served from its (empty) cache when the network does not answer;
// a bucket whose newest head it merged still is, at once.
func TestNeverMergedHungNetworkIsUnavailable(t *testing.T) {
	n := newNet(t)
	bigBucket(t, n, "big", 20)
	b := n.node(t, "node-b")
	if err := b.CreateBucket(t.Context(), n.user, "own"); err != nil {
		t.Fatal(err)
	}
	putN(t, b, n.user, "own", "o", 3)
	// b knows "big" from the bucket list but never merged its head.
	eventually(t, "bucket list merged", func() error {
		if err := b.Refresh(t.Context(), n.user, ""); err != nil {
			return err
		}
		_, err := b.HeadBucket(t.Context(), n.user, "big")
		return err
	})
	n.recs.setBlock(true)
	t.Cleanup(func() { n.recs.setBlock(false) })
	if err := b.Refresh(t.Context(), n.user, "big"); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Refresh of a never-merged bucket, network hung = %v, want ErrUnavailable", err)
	}
	if err := b.Refresh(t.Context(), n.user, "own"); err != nil {
		t.Fatalf("Refresh of a bucket holding own writes, network hung = %v", err)
	}
	if keys := listKeys(t, b, n.user, "own"); len(keys) != 3 {
		t.Fatalf("own bucket lists %d keys, want 3", len(keys))
	}
}

// TestPlacedBlobIDs: a blob store that appends to the content address (a
// node's SHA-256 + infohash) has its IDs kept as they are in heads and
// manifests, and a late node merges the bucket through them.
func TestPlacedBlobIDs(t *testing.T) {
	n := newNet(t)
	n.blobs.suffix = bytes.Repeat([]byte{0xab}, 20)
	bigBucket(t, n, "big", 100)
	h := n.recs.head(t, n.user, "big")
	if len(h.SnapshotID) != 52 || !bytes.HasSuffix(h.SnapshotID, n.blobs.suffix) {
		t.Fatalf("head names its manifest %x, want the store's 52-byte ID", h.SnapshotID)
	}
	seesKeys(t, n.node(t, "node-late"), n.user, "big", 100)
}
