package s3test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/d3s/d3s/s3"
)

// oddKeys are keys whose bytes trip up listings: control bytes, multi-byte
// UTF-8 up to U+10FFFF (leading byte 0xf4), spaces, percent signs,
// delimiter look-alikes and a maximal 1024-byte key.
var oddKeys = []string{
	"\x01", "a\x01b", "a/\x01", "a/b/c", "a/b/d", "a/b", "a/c", "a//d", "a/", "a",
	"ab", "abab/x", "abc", "b c/d e", "b c", "100%", "100%/x", "%2F", "%%/%",
	"ÿ", "ÿ/ÿ", "日本/語", "日本語", "\U0010FFFF", "\U0010FFFF/x", "z/z/z/z", "z ",
	strings.Repeat("k", s3.MaxKeyLength), strings.Repeat("k/", s3.MaxKeyLength/2),
	"é/é", "éé", "x\x01y\x01z",
}

func testList(t *testing.T, newStore func(t *testing.T) s3.ObjectStore) {
	f := newFixture(t, newStore)
	f.bucket(alice, "odd")
	infos := make(map[string]s3.ObjectInfo)
	for i, k := range oddKeys {
		infos[k] = f.put(alice, "odd", k, randomBytes(uint64(i), i), s3.PutOptions{})
	}
	t.Run("MaxKeysZero", func(t *testing.T) { testListMaxKeysZero(t, f.with(t)) })
	t.Run("Fields", func(t *testing.T) { testListFields(t, f.with(t), infos) })
	t.Run("AfterInsideCommonPrefix", func(t *testing.T) { testListAfterInPrefix(t, f.with(t)) })
	t.Run("OddKeys", func(t *testing.T) { testListOddKeys(t, f.with(t)) })
	t.Run("Many", func(t *testing.T) { testListMany(t, newFixture(t, newStore)) })
}

func testListMaxKeysZero(t *testing.T, f *fixture) {
	res, err := f.s.ListObjects(f.ctx, alice, "odd", s3.ListOptions{MaxKeys: 0})
	if err != nil || len(res.Objects) != 0 || len(res.CommonPrefixes) != 0 || res.IsTruncated {
		t.Fatalf("ListObjects(MaxKeys 0) = %+v, %v; want an empty page, not truncated", res, err)
	}
}

func testListFields(t *testing.T, f *fixture, infos map[string]s3.ObjectInfo) {
	res, err := f.s.ListObjects(f.ctx, alice, "odd", s3.ListOptions{MaxKeys: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Objects) != len(infos) || res.IsTruncated {
		t.Fatalf("flat listing: %d objects (truncated %v), want %d", len(res.Objects), res.IsTruncated, len(infos))
	}
	for _, o := range res.Objects {
		want := infos[o.Key]
		if o.Size != want.Size || o.ETag != want.ETag || o.LastModified.IsZero() {
			t.Errorf("listed %q: size %d ETag %q modified %v, want size %d ETag %q", o.Key, o.Size, o.ETag, o.LastModified, want.Size, want.ETag)
		}
	}
}

func testListAfterInPrefix(t *testing.T, f *fixture) {
	res, err := f.s.ListObjects(f.ctx, alice, "odd", s3.ListOptions{Prefix: "a", Delimiter: "/", After: "a/b/c", MaxKeys: 1000})
	if err != nil {
		t.Fatal(err)
	}
	got := entryNames(res)
	want := []string{"ab", "abab/" + prefixMark, "abc"}
	if !slices.Equal(got, want) {
		t.Fatalf("listing after a key inside common prefix a/ = %q, want %q (a/ not repeated)", got, want)
	}
}

func testListOddKeys(t *testing.T, f *fixture) {
	keys := slices.Clone(oddKeys)
	slices.Sort(keys)
	prefixes := []string{"", "a", "a/", "a/b", "b c", "日本", "\U0010FFFF", "k", "%", "zz", "\x01"}
	delims := []string{"", "/", "//", "ab", "%", " ", "\x01", "é", "本", "k/k"}
	for _, prefix := range prefixes {
		for _, delim := range delims {
			want := refEntries(keys, prefix, delim)
			for _, max := range []int{1, 2, 7, 1000} {
				name := fmt.Sprintf("prefix=%q/delim=%q/max=%d", prefix, delim, max)
				got := listAll(t, f, "odd", s3.ListOptions{Prefix: prefix, Delimiter: delim, MaxKeys: max})
				if !slices.Equal(got, want) {
					t.Errorf("%s: listed %q, want %q", name, got, want)
				}
			}
		}
	}
}

func testListMany(t *testing.T, f *fixture) {
	f.bucket(alice, "many")
	var keys []string
	for i := range 2600 {
		k := fmt.Sprintf("d%02d/f%05d", i%13, i)
		if i%5 == 0 {
			k = fmt.Sprintf("top-%05d", i)
		}
		keys = append(keys, k)
		f.put(alice, "many", k, nil, s3.PutOptions{})
	}
	slices.Sort(keys)
	for _, tc := range []struct {
		delim string
		max   int
	}{{"", 1}, {"", 7}, {"", 1000}, {"/", 1}, {"/", 7}, {"/", 1000}} {
		t.Run(fmt.Sprintf("delim=%q/max=%d", tc.delim, tc.max), func(t *testing.T) {
			got := listAll(t, f, "many", s3.ListOptions{Delimiter: tc.delim, MaxKeys: tc.max})
			if want := refEntries(keys, "", tc.delim); !slices.Equal(got, want) {
				t.Fatalf("listed %d entries, want %d (first difference at %d)", len(got), len(want), firstDiff(got, want))
			}
		})
	}
}

// listAll pages through a listing, checking each page's invariants, and
// returns its entries (common prefixes marked by a trailing "\x00prefix").
func listAll(t *testing.T, f *fixture, bucket string, opts s3.ListOptions) []string {
	t.Helper()
	var all []string
	for page := 0; ; page++ {
		res, err := f.s.ListObjects(f.ctx, alice, bucket, opts)
		if err != nil {
			t.Fatalf("ListObjects(%+v): %v", opts, err)
		}
		got := entryNames(res)
		if len(got) > opts.MaxKeys || (res.IsTruncated && len(got) == 0) {
			t.Fatalf("page %d of %+v: %d entries, truncated %v", page, opts, len(got), res.IsTruncated)
		}
		all = append(all, got...)
		if !res.IsTruncated {
			return all
		}
		if last := got[len(got)-1]; res.NextAfter != strings.TrimSuffix(last, prefixMark) {
			t.Fatalf("page %d of %+v: NextAfter %q, want the last entry %q", page, opts, res.NextAfter, last)
		}
		if res.NextAfter <= opts.After {
			t.Fatalf("page %d of %+v: NextAfter %q does not advance; the listing would never end", page, opts, res.NextAfter)
		}
		opts.After = res.NextAfter
	}
}

// prefixMark tags common prefixes in entry lists, so that an object "a/"
// and a common prefix "a/" differ.
const prefixMark = "\x00prefix"

// entryNames merges a page's objects and common prefixes in key order.
func entryNames(res s3.ListResult) []string {
	var out []string
	for _, o := range res.Objects {
		out = append(out, o.Key)
	}
	for _, p := range res.CommonPrefixes {
		out = append(out, p+prefixMark)
	}
	slices.SortFunc(out, func(a, b string) int {
		return strings.Compare(strings.TrimSuffix(a, prefixMark), strings.TrimSuffix(b, prefixMark))
	})
	return out
}

// refEntries is the naive reference listing of sorted keys: every key under
// prefix, with keys holding delim after the prefix replaced by their common
// prefix, once.
func refEntries(keys []string, prefix, delim string) []string {
	var out []string
	for _, k := range keys {
		if !strings.HasPrefix(k, prefix) {
			continue
		}
		e := k
		if i := strings.Index(k[len(prefix):], delim); delim != "" && i >= 0 {
			e = k[:len(prefix)+i+len(delim)] + prefixMark
		}
		if len(out) == 0 || out[len(out)-1] != e {
			out = append(out, e)
		}
	}
	return out
}

func firstDiff(a, b []string) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}
