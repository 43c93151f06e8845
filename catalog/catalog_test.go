package catalog

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
)

func TestBuckets(t *testing.T) {
	ctx := t.Context()
	c := newCatalog(t, openDB(t, t.TempDir()))
	for _, b := range []string{"zeta", "alpha", "mid"} {
		if err := c.CreateBucket(ctx, "u", b); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.CreateBucket(ctx, "u", "alpha"); !errors.Is(err, ErrBucketExists) {
		t.Fatalf("create twice: %v", err)
	}
	if err := c.CreateBucket(ctx, "other", "alpha"); err != nil {
		t.Fatalf("same name for another user: %v", err)
	}
	list, err := c.ListBuckets(ctx, "u")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, b := range list {
		names = append(names, b.Name)
		if b.Created.IsZero() {
			t.Errorf("bucket %s has no creation time", b.Name)
		}
	}
	if want := []string{"alpha", "mid", "zeta"}; !slices.Equal(names, want) {
		t.Fatalf("ListBuckets = %v, want %v", names, want)
	}
	if _, err := c.HeadBucket(ctx, "u", "nope"); !errors.Is(err, ErrNoSuchBucket) {
		t.Fatalf("head missing: %v", err)
	}
	if err := c.DeleteBucket(ctx, "u", "nope"); !errors.Is(err, ErrNoSuchBucket) {
		t.Fatalf("delete missing: %v", err)
	}
	if err := c.DeleteBucket(ctx, "u", "mid"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.HeadBucket(ctx, "u", "mid"); !errors.Is(err, ErrNoSuchBucket) {
		t.Fatalf("head deleted: %v", err)
	}
	if _, err := c.HeadBucket(ctx, "other", "alpha"); err != nil {
		t.Fatalf("other user's bucket: %v", err)
	}
}

func TestDeleteBucketNotEmpty(t *testing.T) {
	ctx := t.Context()
	c := openCatalog(t)
	putKey(t, c, "k")
	if err := c.DeleteBucket(ctx, "u", "b"); !errors.Is(err, ErrBucketNotEmpty) {
		t.Fatalf("with object: %v", err)
	}
	if _, err := c.Delete(ctx, "u", "b", "k"); err != nil {
		t.Fatal(err)
	}
	up, err := c.CreateUpload(ctx, "u", "b", Upload{Key: "k", Metadata: Metadata{}})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteBucket(ctx, "u", "b"); !errors.Is(err, ErrBucketNotEmpty) {
		t.Fatalf("with upload: %v", err)
	}
	if _, err := c.AbortUpload(ctx, "u", "b", "k", up.ID); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteBucket(ctx, "u", "b"); err != nil {
		t.Fatalf("empty: %v", err)
	}
}

func TestPutGetDelete(t *testing.T) {
	ctx := t.Context()
	c := openCatalog(t)
	if _, err := c.Get(ctx, "u", "b", "k"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("get missing: %v", err)
	}
	first := putKey(t, c, "k")
	if first.VersionID == "" || first.Writer != "node-a" || first.Time.IsZero() {
		t.Fatalf("entry not stamped: %+v", first)
	}
	second := &Entry{Key: "k", ETag: "two"}
	replaced, err := c.Put(ctx, "u", "b", second, nil)
	if err != nil {
		t.Fatal(err)
	}
	if replaced == nil || replaced.ETag != first.ETag {
		t.Fatalf("replaced = %+v, want the first entry", replaced)
	}
	if !second.Newer(first) || second.VersionID <= first.VersionID {
		t.Fatalf("second entry does not order after the first")
	}
	got, err := c.Get(ctx, "u", "b", "k")
	if err != nil || got.ETag != "two" {
		t.Fatalf("get = %+v, %v", got, err)
	}
	removed, err := c.Delete(ctx, "u", "b", "k")
	if err != nil || removed == nil || removed.ETag != "two" {
		t.Fatalf("delete = %+v, %v", removed, err)
	}
	if removed, err := c.Delete(ctx, "u", "b", "k"); err != nil || removed != nil {
		t.Fatalf("delete again = %+v, %v", removed, err)
	}
	if _, err := c.Put(ctx, "u", "nope", &Entry{Key: "k"}, nil); !errors.Is(err, ErrNoSuchBucket) {
		t.Fatalf("put into missing bucket: %v", err)
	}
}

var errFailed = errors.New("condition failed")

func TestPutCheckIsAtomic(t *testing.T) {
	ctx := t.Context()
	c := openCatalog(t)
	ifNoneMatch := func(cur *Entry) error {
		if cur != nil {
			return errFailed
		}
		return nil
	}
	const writers = 8
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		wins int
	)
	for i := range writers {
		wg.Go(func() {
			_, err := c.Put(ctx, "u", "b", &Entry{Key: "k", ETag: fmt.Sprint(i)}, ifNoneMatch)
			if err != nil && !errors.Is(err, errFailed) {
				t.Errorf("put: %v", err)
			}
			if err == nil {
				mu.Lock()
				wins++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if wins != 1 {
		t.Fatalf("%d If-None-Match writers succeeded, want exactly 1", wins)
	}
}

func listAll(t *testing.T, c *Catalog, prefix, from string) []string {
	t.Helper()
	it, err := c.Objects(t.Context(), "u", "b", prefix)
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	var keys []string
	for it.Seek(from); it.Next(); {
		keys = append(keys, it.Entry().Key)
	}
	if err := it.Err(); err != nil {
		t.Fatal(err)
	}
	return keys
}

func TestListingOrder(t *testing.T) {
	db := openDB(t, t.TempDir())
	c := newCatalog(t, db)
	if err := c.CreateBucket(t.Context(), "u", "b"); err != nil {
		t.Fatal(err)
	}
	keys := []string{"b", "a\xff", "a", "a\x00", "\xff", "a/b", "a/", "ab", "\x00"}
	for _, k := range keys {
		putKey(t, c, k)
	}
	other := newCatalog(t, db)
	if err := other.CreateBucket(t.Context(), "u", "b2"); err != nil {
		t.Fatal(err)
	}
	if _, err := other.Put(t.Context(), "u", "b2", &Entry{Key: "a0"}, nil); err != nil {
		t.Fatal(err)
	}
	sorted := slices.Clone(keys)
	slices.Sort(sorted)
	tests := []struct {
		prefix, from string
		want         []string
	}{
		{"", "", sorted},
		{"a", "", []string{"a", "a\x00", "a/", "a/b", "ab", "a\xff"}},
		{"a/", "", []string{"a/", "a/b"}},
		{"", "a/b\x00", []string{"ab", "a\xff", "b", "\xff"}},
		{"a", "0", []string{"a", "a\x00", "a/", "a/b", "ab", "a\xff"}},
		{"", "\xff\x00", nil},
		{"zz", "", nil},
	}
	for _, tt := range tests {
		if got := listAll(t, c, tt.prefix, tt.from); !slices.Equal(got, tt.want) {
			t.Errorf("list(prefix %q, from %q) = %q, want %q", tt.prefix, tt.from, got, tt.want)
		}
	}
	if _, err := c.Objects(t.Context(), "u", "nope", ""); !errors.Is(err, ErrNoSuchBucket) {
		t.Fatalf("list missing bucket: %v", err)
	}
}

func TestReopenKeepsEverything(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	db := openDB(t, dir)
	c := newCatalog(t, db)
	if err := c.CreateBucket(ctx, "u", "b"); err != nil {
		t.Fatal(err)
	}
	want := putKey(t, c, "k\x00")
	up, err := c.CreateUpload(ctx, "u", "b", Upload{Key: "m", Metadata: Metadata{ContentType: "x/y"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutPart(ctx, "u", "b", "m", up.ID, &Part{Number: 2, ETag: "e2", Size: 9}); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	c = newCatalog(t, openDB(t, dir))
	got, err := c.Get(ctx, "u", "b", "k\x00")
	if err != nil || got.VersionID != want.VersionID || got.ETag != want.ETag {
		t.Fatalf("after reopen: %+v, %v", got, err)
	}
	u, parts, _, err := c.Parts(ctx, "u", "b", "m", up.ID, 0, 0)
	if err != nil || u.Metadata.ContentType != "x/y" || len(parts) != 1 || parts[0].ETag != "e2" {
		t.Fatalf("upload after reopen: %+v %+v %v", u, parts, err)
	}
	// The clock must not go back behind entries written before the restart.
	next := putKey(t, c, "k\x00")
	if !next.Newer(want) {
		t.Fatal("entry written after reopen does not order after the old one")
	}
}
