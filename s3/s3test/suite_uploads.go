package s3test

import (
	"slices"
	"strings"
	"testing"

	"github.com/d3s/d3s/s3"
)

// upload names a multipart upload in progress.
type upload struct{ key, id string }

func testListUploads(t *testing.T, f *fixture) {
	f.bucket(alice, "mp")
	var all []upload
	for _, k := range []string{"c/x", "a/1", "b", "a/2", "b", "d", "b", "a/sub/3"} {
		all = append(all, upload{k, f.create(k, s3.Metadata{})})
	}
	full, err := f.s.ListMultipartUploads(f.ctx, alice, "mp", s3.ListUploadsOptions{MaxUploads: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var listed []upload
	for _, u := range full.Uploads {
		listed = append(listed, upload{u.Key, u.UploadID})
		if u.Initiated.IsZero() {
			t.Errorf("upload %s of %q has no initiation time", u.UploadID, u.Key)
		}
	}
	if len(listed) != len(all) || !slices.IsSortedFunc(listed, func(a, b upload) int { return strings.Compare(a.key, b.key) }) {
		t.Fatalf("ListMultipartUploads = %v, want the %d uploads by key", listed, len(all))
	}
	for _, u := range all {
		if !slices.Contains(listed, u) {
			t.Fatalf("upload %v not listed in %v", u, listed)
		}
	}

	t.Run("Prefix", func(t *testing.T) {
		res := listUploads(t, f, s3.ListUploadsOptions{Prefix: "a/", MaxUploads: 1000})
		if len(res.Uploads) != 3 || len(res.CommonPrefixes) != 0 || res.IsTruncated {
			t.Fatalf("prefix a/: %+v, want the 3 uploads under a/", res)
		}
	})
	t.Run("Delimiter", func(t *testing.T) {
		res := listUploads(t, f, s3.ListUploadsOptions{Delimiter: "/", MaxUploads: 1000})
		var keys []string
		for _, u := range res.Uploads {
			keys = append(keys, u.Key)
		}
		if !slices.Equal(keys, []string{"b", "b", "b", "d"}) || !slices.Equal(res.CommonPrefixes, []string{"a/", "c/"}) {
			t.Fatalf("delimiter /: uploads %q prefixes %q; want b b b d and a/ c/", keys, res.CommonPrefixes)
		}
		res = listUploads(t, f, s3.ListUploadsOptions{Prefix: "a/", Delimiter: "/", MaxUploads: 1000})
		if len(res.Uploads) != 2 || !slices.Equal(res.CommonPrefixes, []string{"a/sub/"}) {
			t.Fatalf("prefix a/ delimiter /: %+v; want a/1, a/2 and a/sub/", res)
		}
	})
	t.Run("Markers", func(t *testing.T) { testUploadMarkers(t, f.with(t), listed) })
	for _, u := range all {
		if err := f.s.AbortMultipartUpload(f.ctx, alice, "mp", u.key, u.id); err != nil {
			t.Fatal(err)
		}
	}
	if res := listUploads(t, f, s3.ListUploadsOptions{MaxUploads: 1000}); len(res.Uploads) != 0 {
		t.Fatalf("after aborting all: %+v", res.Uploads)
	}
}

// testUploadMarkers pages through the uploads with key and upload ID
// markers: every upload of listed comes back once, in the same order.
func testUploadMarkers(t *testing.T, f *fixture, listed []upload) {
	for _, max := range []int{1, 2, 3} {
		var paged []upload
		opts := s3.ListUploadsOptions{MaxUploads: max}
		for range len(listed) + 1 {
			res := listUploads(t, f, opts)
			if len(res.Uploads) > max || (res.IsTruncated && len(res.Uploads) == 0) {
				t.Fatalf("MaxUploads %d: page of %d", max, len(res.Uploads))
			}
			for _, u := range res.Uploads {
				paged = append(paged, upload{u.Key, u.UploadID})
			}
			if !res.IsTruncated {
				break
			}
			last := paged[len(paged)-1]
			if res.NextKeyMarker != last.key || res.NextUploadIDMarker != last.id {
				t.Fatalf("next markers %q %q, want the last upload %v", res.NextKeyMarker, res.NextUploadIDMarker, last)
			}
			opts.KeyMarker, opts.UploadIDMarker = res.NextKeyMarker, res.NextUploadIDMarker
		}
		if !slices.Equal(paged, listed) {
			t.Fatalf("MaxUploads %d paged %v, want %v", max, paged, listed)
		}
	}
	res := listUploads(t, f, s3.ListUploadsOptions{KeyMarker: "b", MaxUploads: 1000})
	if len(res.Uploads) != 2 || res.Uploads[0].Key != "c/x" {
		t.Fatalf("key marker b alone: %+v, want c/x and d (all uploads of b skipped)", res.Uploads)
	}
}

func listUploads(t *testing.T, f *fixture, opts s3.ListUploadsOptions) s3.ListUploadsResult {
	t.Helper()
	res, err := f.s.ListMultipartUploads(f.ctx, alice, "mp", opts)
	if err != nil {
		t.Fatalf("ListMultipartUploads(%+v): %v", opts, err)
	}
	return res
}
