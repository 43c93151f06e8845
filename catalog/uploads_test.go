package catalog

import (
	"errors"
	"slices"
	"testing"
)

func TestUploadLifecycle(t *testing.T) {
	ctx := t.Context()
	c := openCatalog(t)
	up, err := c.CreateUpload(ctx, "u", "b", Upload{Key: "obj", Metadata: Metadata{ContentType: "a/b"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{3, 1, 2} {
		p := &Part{Number: n, ETag: "first", Size: int64(n)}
		if replaced, err := c.PutPart(ctx, "u", "b", "obj", up.ID, p); err != nil || replaced != nil {
			t.Fatalf("put part %d: %v %v", n, replaced, err)
		}
	}
	replaced, err := c.PutPart(ctx, "u", "b", "obj", up.ID, &Part{Number: 2, ETag: "second"})
	if err != nil || replaced == nil || replaced.ETag != "first" {
		t.Fatalf("replace part: %+v %v", replaced, err)
	}
	_, parts, truncated, err := c.Parts(ctx, "u", "b", "obj", up.ID, 1, 1)
	if err != nil || !truncated || len(parts) != 1 || parts[0].Number != 2 || parts[0].ETag != "second" {
		t.Fatalf("Parts(after 1, max 1) = %+v %v %v", parts, truncated, err)
	}
	for _, bad := range []struct{ key, id string }{{"other", up.ID}, {"obj", "zz"}, {"obj", "00000000000000000000000000000000"}} {
		if _, err := c.PutPart(ctx, "u", "b", bad.key, bad.id, &Part{Number: 1}); !errors.Is(err, ErrNoSuchUpload) {
			t.Errorf("PutPart(%q, %q): %v", bad.key, bad.id, err)
		}
	}
	e := &Entry{Key: "obj", PartsCount: 3}
	_, removed, err := c.CompleteUpload(ctx, "u", "b", up.ID, e, nil)
	if err != nil || len(removed) != 3 {
		t.Fatalf("complete: %d parts, %v", len(removed), err)
	}
	if got, err := c.Get(ctx, "u", "b", "obj"); err != nil || got.PartsCount != 3 {
		t.Fatalf("completed object: %+v %v", got, err)
	}
	if _, err := c.GetUpload(ctx, "u", "b", "obj", up.ID); !errors.Is(err, ErrNoSuchUpload) {
		t.Fatalf("upload after complete: %v", err)
	}
	if _, err := c.AbortUpload(ctx, "u", "b", "obj", up.ID); !errors.Is(err, ErrNoSuchUpload) {
		t.Fatalf("abort after complete: %v", err)
	}
}

func TestCompleteCheckFailsAtomically(t *testing.T) {
	ctx := t.Context()
	c := openCatalog(t)
	up, _ := c.CreateUpload(ctx, "u", "b", Upload{Key: "obj", Metadata: Metadata{}})
	c.PutPart(ctx, "u", "b", "obj", up.ID, &Part{Number: 1})
	fail := func(*Entry) error { return errFailed }
	if _, _, err := c.CompleteUpload(ctx, "u", "b", up.ID, &Entry{Key: "obj"}, fail); !errors.Is(err, errFailed) {
		t.Fatalf("complete: %v", err)
	}
	if _, parts, _, err := c.Parts(ctx, "u", "b", "obj", up.ID, 0, 0); err != nil || len(parts) != 1 {
		t.Fatalf("upload changed by a failed complete: %v %v", parts, err)
	}
}

func TestUploadListingOrder(t *testing.T) {
	ctx := t.Context()
	c := openCatalog(t)
	type ref struct{ key, id string }
	var want []ref
	for _, k := range []string{"b", "a\x00", "a", "a", "ab", "b"} {
		up, err := c.CreateUpload(ctx, "u", "b", Upload{Key: k, Metadata: Metadata{}})
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, ref{k, up.ID})
	}
	slices.SortStableFunc(want, func(x, y ref) int {
		if x.key != y.key {
			if x.key < y.key {
				return -1
			}
			return 1
		}
		return 0 // created in order: IDs already ascend
	})
	list := func(prefix, key, id string) []ref {
		it, err := c.Uploads(ctx, "u", "b", prefix)
		if err != nil {
			t.Fatal(err)
		}
		defer it.Close()
		var got []ref
		for it.Seek(key, id); it.Next(); {
			got = append(got, ref{it.Upload().Key, it.Upload().ID})
		}
		return got
	}
	if got := list("", "", ""); !slices.Equal(got, want) {
		t.Fatalf("uploads = %q, want %q", got, want)
	}
	if got := list("a", "", ""); !slices.Equal(got, want[:4]) {
		t.Fatalf("prefix a = %q, want %q", got, want[:4])
	}
	if got := list("", "a", want[0].id); !slices.Equal(got, want[1:]) {
		t.Fatalf("after first upload = %q, want %q", got, want[1:])
	}
	if got := list("", "a\x00", ""); !slices.Equal(got, want[2:]) {
		t.Fatalf("from a\\x00 = %q, want %q", got, want[2:])
	}
}
