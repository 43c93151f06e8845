package catalog

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/d3s/d3s/catalog/internal/entry"
)

// awaitPub waits until c's writes so far are in a published head.
func awaitPub(t testing.TB, c *Catalog, user, bucket string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if err := c.AwaitPublished(ctx, user, bucket); err != nil {
		t.Fatal(err)
	}
}

func revalidate(t testing.TB, c *Catalog, user, bucket string) {
	t.Helper()
	if err := c.Revalidate(t.Context(), user, bucket); err != nil {
		t.Fatal(err)
	}
}

// partNumbers returns the numbers and writers of the parts c lists.
func partNumbers(t testing.TB, c *Catalog, user, bucket, key, id string) ([]string, error) {
	t.Helper()
	_, parts, _, err := c.Parts(t.Context(), user, bucket, key, id, 0, 0)
	var out []string
	for _, p := range parts {
		out = append(out, fmt.Sprintf("%d@%s:%s", p.Number, p.Writer, p.ETag))
	}
	return out, err
}

// releasedParts records the part entries a catalogue hands to OnReplaced
// (and fails on anything else that references no data).
type releasedParts struct {
	mu    sync.Mutex
	parts []string
	bad   []string
}

func (r *releasedParts) onReplaced(e *Entry) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch entry.KindOf(e.Key) {
	case entry.KindPart:
		r.parts = append(r.parts, e.ETag)
	case entry.KindUpload:
		r.bad = append(r.bad, e.Key)
	}
}

func (r *releasedParts) count() (int, []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.parts), r.bad
}

// TestUploadAcrossNodes: an upload started on one node takes parts on
// two, lists the same everywhere, is completed on another, and every node
// then sees the object and no upload; the nodes holding parts are told
// they left. Listings never show the upload's entries.
func TestUploadAcrossNodes(t *testing.T) {
	n := newNet(t)
	ctx := t.Context()
	var gone releasedParts
	acfg := n.syncConfig("node-a")
	acfg.OnReplaced = gone.onReplaced
	a := n.start(t, openDB(t, t.TempDir()), acfg)
	b, c := n.node(t, "node-b"), n.node(t, "node-c")
	sharedBucket(t, n, "mpu", a, b, c)

	up, err := a.CreateUpload(ctx, n.user, "mpu", Upload{Key: "big", Metadata: Metadata{ContentType: "x/y"}})
	if err != nil {
		t.Fatal(err)
	}
	awaitPub(t, a, n.user, "mpu")
	revalidate(t, b, n.user, "mpu")
	if got, err := b.GetUpload(ctx, n.user, "mpu", "big", up.ID); err != nil || got.Metadata.ContentType != "x/y" || got.Writer != "node-a" {
		t.Fatalf("upload on b = %+v, %v", got, err)
	}
	if _, err := b.PutPart(ctx, n.user, "mpu", "big", up.ID, &Part{Number: 1, ETag: "p1", Size: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.PutPart(ctx, n.user, "mpu", "big", up.ID, &Part{Number: 2, ETag: "p2", Size: 2}); err != nil {
		t.Fatal(err)
	}
	awaitPub(t, a, n.user, "mpu")
	awaitPub(t, b, n.user, "mpu")
	want := "[1@node-b:p1 2@node-a:p2]"
	for name, cat := range map[string]*Catalog{"a": a, "b": b, "c": c} {
		revalidate(t, cat, n.user, "mpu")
		if got, err := partNumbers(t, cat, n.user, "mpu", "big", up.ID); err != nil || fmt.Sprint(got) != want {
			t.Fatalf("parts on %s = %v, %v; want %s", name, got, err, want)
		}
		if keys := listKeys(t, cat, n.user, "mpu"); len(keys) != 0 {
			t.Fatalf("%s lists %q while the upload is in progress", name, keys)
		}
		if got := uploadIDs(t, cat, n.user, "mpu"); fmt.Sprint(got) != fmt.Sprint([]string{up.ID}) {
			t.Fatalf("%s lists uploads %v", name, got)
		}
	}
	if refs := refKeys(t, a, n.user, "mpu"); len(refs) != 2 {
		t.Fatalf("a's Refs = %q, want the two parts", refs)
	}
	if err := a.DeleteBucket(ctx, n.user, "mpu"); !errors.Is(err, ErrBucketNotEmpty) {
		t.Fatalf("delete bucket with an upload in progress: %v", err)
	}

	_, removed, err := c.CompleteUpload(ctx, n.user, "mpu", up.ID, &Entry{Key: "big", ETag: "whole", PartsCount: 2}, nil)
	if err != nil || len(removed) != 2 {
		t.Fatalf("complete on c: %v parts, %v", removed, err)
	}
	awaitPub(t, c, n.user, "mpu")
	for name, cat := range map[string]*Catalog{"a": a, "b": b, "c": c} {
		revalidate(t, cat, n.user, "mpu")
		if e, err := cat.Get(ctx, n.user, "mpu", "big"); err != nil || e.ETag != "whole" {
			t.Fatalf("%s: object after complete = %+v, %v", name, e, err)
		}
		if _, err := cat.GetUpload(ctx, n.user, "mpu", "big", up.ID); !errors.Is(err, ErrNoSuchUpload) {
			t.Fatalf("%s: upload after complete: %v", name, err)
		}
		if _, err := cat.PutPart(ctx, n.user, "mpu", "big", up.ID, &Part{Number: 3}); !errors.Is(err, ErrNoSuchUpload) {
			t.Fatalf("%s: part after complete: %v", name, err)
		}
		if got := uploadIDs(t, cat, n.user, "mpu"); len(got) != 0 {
			t.Fatalf("%s lists uploads %v after complete", name, got)
		}
		if refs := refKeys(t, cat, n.user, "mpu"); fmt.Sprint(refs) != "[big]" {
			t.Fatalf("%s: Refs after complete = %q", name, refs)
		}
	}
	if got, bad := gone.count(); got != 2 || len(bad) != 0 {
		t.Fatalf("a was told of %d parts leaving (want 2) and of upload entries %q", got, bad)
	}
}

// TestUploadAbortAndPartRace: two nodes upload the same part number at
// once; every node keeps the later one (LWW by time, then writer). An
// abort on a node that did not start the upload ends it everywhere.
func TestUploadAbortAndPartRace(t *testing.T) {
	n := newNet(t)
	ctx := t.Context()
	a, b := n.node(t, "node-a"), n.node(t, "node-b")
	sharedBucket(t, n, "race", a, b)
	up, err := a.CreateUpload(ctx, n.user, "race", Upload{Key: "k"})
	if err != nil {
		t.Fatal(err)
	}
	awaitPub(t, a, n.user, "race")
	revalidate(t, b, n.user, "race")
	pa, pb := &Part{Number: 7, ETag: "from-a"}, &Part{Number: 7, ETag: "from-b"}
	if _, err := a.PutPart(ctx, n.user, "race", "k", up.ID, pa); err != nil {
		t.Fatal(err)
	}
	if _, err := b.PutPart(ctx, n.user, "race", "k", up.ID, pb); err != nil {
		t.Fatal(err)
	}
	winner := pa
	if pb.Entry(up.ID).Newer(pa.Entry(up.ID)) {
		winner = pb
	}
	awaitPub(t, a, n.user, "race")
	awaitPub(t, b, n.user, "race")
	want := fmt.Sprintf("[7@%s:%s]", winner.Writer, winner.ETag)
	for name, cat := range map[string]*Catalog{"a": a, "b": b} {
		revalidate(t, cat, n.user, "race")
		if got, err := partNumbers(t, cat, n.user, "race", "k", up.ID); err != nil || fmt.Sprint(got) != want {
			t.Fatalf("%s: parts = %v, %v; want %s", name, got, err, want)
		}
	}
	parts, err := b.AbortUpload(ctx, n.user, "race", "k", up.ID)
	if err != nil || len(parts) != 1 {
		t.Fatalf("abort on b: %v, %v", parts, err)
	}
	awaitPub(t, b, n.user, "race")
	revalidate(t, a, n.user, "race")
	if _, _, _, err := a.Parts(ctx, n.user, "race", "k", up.ID, 0, 0); !errors.Is(err, ErrNoSuchUpload) {
		t.Fatalf("a after abort on b: %v", err)
	}
	if refs := refKeys(t, a, n.user, "race"); len(refs) != 0 {
		t.Fatalf("a still references %q after the abort", refs)
	}
	if err := a.DeleteBucket(ctx, n.user, "race"); err != nil {
		t.Fatalf("delete bucket after the abort: %v", err)
	}
}

func uploadIDs(t testing.TB, c *Catalog, user, bucket string) []string {
	t.Helper()
	it, err := c.Uploads(t.Context(), user, bucket, "")
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	var ids []string
	for it.Next() {
		ids = append(ids, it.Upload().ID)
	}
	if err := it.Err(); err != nil {
		t.Fatal(err)
	}
	return ids
}

// refKeys returns the keys of the entries Refs yields (part keys as
// "part N").
func refKeys(t testing.TB, c *Catalog, user, bucket string) []string {
	t.Helper()
	it, err := c.Refs(t.Context(), user, bucket)
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	var keys []string
	for it.Next() {
		k := it.Entry().Key
		if _, num, ok := entry.ParsePartKey(k); ok {
			k = fmt.Sprintf("part %d", num)
		}
		keys = append(keys, k)
	}
	if err := it.Err(); err != nil {
		t.Fatal(err)
	}
	return keys
}

// TestUploadMarkersExpire: the delete markers that aborted uploads and
// their parts leave behind expire after TombstoneTTL like object
// markers: gone from the snapshot and from every node's index.
func TestUploadMarkersExpire(t *testing.T) {
	const uploads = 20
	n := newNet(t)
	ctx := t.Context()
	var clock skewClock
	cfg := n.syncConfig("node-a")
	cfg.MaxRecent = 16
	a := n.startWith(t, Config{DB: openDB(t, t.TempDir()), NodeID: "node-a", Now: clock.now, TombstoneTTL: time.Minute}, cfg)
	b := n.node(t, "node-b")
	sharedBucket(t, n, "exp", a, b)
	for i := range uploads {
		up, err := a.CreateUpload(ctx, n.user, "exp", Upload{Key: fmt.Sprintf("k%02d", i)})
		if err != nil {
			t.Fatal(err)
		}
		for p := 1; p <= 2; p++ {
			if _, err := a.PutPart(ctx, n.user, "exp", up.Key, up.ID, &Part{Number: p}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := a.AbortUpload(ctx, n.user, "exp", up.Key, up.ID); err != nil {
			t.Fatal(err)
		}
	}
	flush(t, a)
	revalidate(t, b, n.user, "exp")
	if got := countIndex(t, b, n.user, "exp"); got != 3*uploads {
		t.Fatalf("b's index holds %d entries before the expiry, want %d markers", got, 3*uploads)
	}
	clock.advance(2 * time.Minute)
	putN(t, a, n.user, "exp", "late", 1)
	flush(t, a)
	after, _ := currentSnapshot(t, n, "exp")
	for _, e := range runEntries(t, n, after) {
		if e.DeleteMarker {
			t.Fatalf("marker of %q left in the snapshot", e.Key)
		}
	}
	for name, c := range map[string]*Catalog{"a": a, "b": b} {
		eventually(t, name+" drops the markers", func() error {
			if err := c.Revalidate(ctx, n.user, "exp"); err != nil {
				return err
			}
			if got := countIndex(t, c, n.user, "exp"); got != 1 {
				return fmt.Errorf("%d entries in the index, want 1", got)
			}
			return nil
		})
	}
}
