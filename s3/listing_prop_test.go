package s3

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// refList is the naive reference listing: all entries under prefix (keys,
// or common prefixes tagged by a trailing "\x00cp"), each once, in order.
func refList(keys []string, prefix, delim string) []string {
	var out []string
	for _, k := range keys {
		if !strings.HasPrefix(k, prefix) {
			continue
		}
		e := k
		if i := strings.Index(k[len(prefix):], delim); delim != "" && i >= 0 {
			e = k[:len(prefix)+i+len(delim)] + "\x00cp"
		}
		if len(out) == 0 || out[len(out)-1] != e {
			out = append(out, e)
		}
	}
	return out
}

// refPage is the naive reference page: entries strictly after `after`
// (a common prefix at or before it is excluded since it is a prefix of it),
// at most max of them.
func refPage(all []string, after string, max int) (page []string, truncated bool) {
	var rest []string
	for _, e := range all {
		if strings.TrimSuffix(e, "\x00cp") > after {
			rest = append(rest, e)
		}
	}
	if max <= 0 {
		return nil, false
	}
	if len(rest) > max {
		return rest[:max], true
	}
	return rest, false
}

// entries renders a result in reference form, merged in key order.
func entries(r ListResult) []string {
	var out []string
	for _, o := range r.Objects {
		out = append(out, o.Key)
	}
	for _, p := range r.CommonPrefixes {
		out = append(out, p+"\x00cp")
	}
	slices.SortFunc(out, func(a, b string) int {
		return strings.Compare(strings.TrimSuffix(a, "\x00cp"), strings.TrimSuffix(b, "\x00cp"))
	})
	return out
}

// randomKey draws a non-empty key from a small alphabet with
// delimiter-like, control, high and invalid UTF-8 bytes, so prefixes and
// delimiters collide often.
func randomKey(r *rand.Rand, alphabet []string) string {
	var b strings.Builder
	for range 1 + r.IntN(6) {
		b.WriteString(alphabet[r.IntN(len(alphabet))])
	}
	return b.String()
}

func TestPaginateMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"a", "b", "/", "//", "\x00", "\x01", "\xff", "\xfe", "é", "%", " "}
	for iter := range 3000 {
		var keys []string
		for range r.IntN(40) {
			keys = append(keys, randomKey(r, alphabet))
		}
		c := newCursor(keys...)
		prefix := []string{"", "a", "a/", "b", "\xff", "/"}[r.IntN(6)]
		delim := []string{"", "/", "//", "a", "\xff", "é", "\x00", "ab"}[r.IntN(8)]
		after := ""
		if r.IntN(3) > 0 {
			after = randomKey(r, alphabet)
		}
		max := r.IntN(6)
		opts := ListOptions{Prefix: prefix, Delimiter: delim, After: after, MaxKeys: max}
		all := refList(c.keys, prefix, delim)
		want, wantTrunc := refPage(all, after, max)
		res := Paginate(opts, c)
		got := entries(res)
		if !slices.Equal(got, want) || res.IsTruncated != wantTrunc {
			t.Fatalf("case %d: keys %q opts %+v:\n got %q truncated=%v\nwant %q truncated=%v", iter, c.keys, opts, got, res.IsTruncated, want, wantTrunc)
		}
		if len(got) > 0 && res.NextAfter != strings.TrimSuffix(got[len(got)-1], "\x00cp") {
			t.Fatalf("case %d: NextAfter %q, want last entry %q", iter, res.NextAfter, got[len(got)-1])
		}
	}
}

// TestPaginatePagesThrough walks random listings page by page: every entry
// is visited exactly once, in order.
func TestPaginatePagesThrough(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	alphabet := []string{"a", "b", "/", "\x01", "\xff", "é"}
	for iter := range 300 {
		var keys []string
		for range r.IntN(200) {
			keys = append(keys, randomKey(r, alphabet))
		}
		c := newCursor(keys...)
		opts := ListOptions{Delimiter: []string{"", "/", "é"}[r.IntN(3)], MaxKeys: 1 + r.IntN(5)}
		var got []string
		for pages := 0; ; pages++ {
			if pages > len(keys)+1 {
				t.Fatalf("case %d: listing does not end", iter)
			}
			res := Paginate(opts, c)
			got = append(got, entries(res)...)
			if !res.IsTruncated {
				break
			}
			opts.After = res.NextAfter
		}
		if want := refList(c.keys, "", opts.Delimiter); !slices.Equal(got, want) {
			t.Fatalf("case %d: paged %q, want %q", iter, got, want)
		}
	}
}

// uploadSlice is an UploadCursor over uploads sorted by key then ID.
type uploadSlice struct {
	ups []UploadInfo
	i   int
}

func (c *uploadSlice) Seek(from string) {
	c.i, _ = slices.BinarySearchFunc(c.ups, from, func(u UploadInfo, k string) int { return strings.Compare(u.Key, k) })
}

func (c *uploadSlice) Next() (UploadInfo, bool) {
	if c.i >= len(c.ups) {
		return UploadInfo{}, false
	}
	c.i++
	return c.ups[c.i-1], true
}

func TestPaginateUploads(t *testing.T) {
	var ups []UploadInfo
	for _, k := range []string{"a/1", "a/2", "b", "c/x", "d"} {
		for i := range 3 {
			ups = append(ups, UploadInfo{Key: k, UploadID: fmt.Sprint(k, "#", i)})
		}
	}
	for _, delim := range []string{"", "/"} {
		for max := 1; max <= 4; max++ {
			t.Run(fmt.Sprintf("delim=%q/max=%d", delim, max), func(t *testing.T) {
				opts := ListUploadsOptions{Delimiter: delim, MaxUploads: max}
				var got []string
				for range 30 {
					res := PaginateUploads(opts, &uploadSlice{ups: ups})
					for _, u := range res.Uploads {
						got = append(got, u.UploadID)
					}
					got = append(got, res.CommonPrefixes...)
					if !res.IsTruncated {
						break
					}
					opts.KeyMarker, opts.UploadIDMarker = res.NextKeyMarker, res.NextUploadIDMarker
				}
				want := []string{"a/1#0", "a/1#1", "a/1#2", "a/2#0", "a/2#1", "a/2#2", "b#0", "b#1", "b#2", "c/x#0", "c/x#1", "c/x#2", "d#0", "d#1", "d#2"}
				if delim == "/" {
					want = []string{"a/", "b#0", "b#1", "b#2", "c/", "d#0", "d#1", "d#2"}
				}
				slices.Sort(got)
				slices.Sort(want)
				if !slices.Equal(got, want) {
					t.Fatalf("paged %q, want %q", got, want)
				}
			})
		}
	}
	res := PaginateUploads(ListUploadsOptions{KeyMarker: "b", UploadIDMarker: "b#0", MaxUploads: 3}, &uploadSlice{ups: ups})
	if len(res.Uploads) != 3 || res.Uploads[0].UploadID != "b#1" || res.NextKeyMarker != "c/x" || res.NextUploadIDMarker != "c/x#0" || !res.IsTruncated {
		t.Fatalf("after b#0: %+v", res)
	}
	res = PaginateUploads(ListUploadsOptions{KeyMarker: "b", MaxUploads: 1000}, &uploadSlice{ups: ups})
	if len(res.Uploads) != 6 || res.Uploads[0].Key != "c/x" {
		t.Fatalf("key marker b: %+v, want c/x and d uploads", res.Uploads)
	}
}
