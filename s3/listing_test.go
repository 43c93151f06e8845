package s3

import (
	"fmt"
	"slices"
	"testing"
)

// sliceCursor is an ObjectCursor over sorted keys that counts its reads.
type sliceCursor struct {
	keys  []string
	i     int
	reads int
	seeks int
}

func (c *sliceCursor) Seek(from string) {
	c.seeks++
	c.i, _ = slices.BinarySearch(c.keys, from)
}

func (c *sliceCursor) Next() (ObjectInfo, bool) {
	if c.i >= len(c.keys) {
		return ObjectInfo{}, false
	}
	c.reads++
	c.i++
	return ObjectInfo{Key: c.keys[c.i-1]}, true
}

func newCursor(keys ...string) *sliceCursor {
	keys = slices.Clone(keys)
	slices.Sort(keys)
	return &sliceCursor{keys: slices.Compact(keys)}
}

// pageOf renders a result as objects then "prefixes:" and the flags.
func pageOf(r ListResult) string {
	var keys []string
	for _, o := range r.Objects {
		keys = append(keys, o.Key)
	}
	return fmt.Sprintf("%q %q truncated=%v next=%q", keys, r.CommonPrefixes, r.IsTruncated, r.NextAfter)
}

func TestPaginate(t *testing.T) {
	keys := []string{"a", "a/1", "a/2", "a/b/c", "b", "b/", "c//d", "c/e", "d\x01e", "d\x01f", "\xff", "\xff/x"}
	for _, tc := range []struct {
		name string
		opts ListOptions
		want string
	}{
		{"Flat", ListOptions{MaxKeys: 3}, `["a" "a/1" "a/2"] [] truncated=true next="a/2"`},
		{"FlatAll", ListOptions{MaxKeys: 1000}, fmt.Sprintf("%q [] truncated=false next=%q", keys, "\xff/x")},
		{"MaxKeysZero", ListOptions{MaxKeys: 0}, `[] [] truncated=false next=""`},
		{"ExactlyFull", ListOptions{Prefix: "a/", MaxKeys: 3}, `["a/1" "a/2" "a/b/c"] [] truncated=false next="a/b/c"`},
		{"Delimiter", ListOptions{Delimiter: "/", MaxKeys: 1000}, `["a" "b" "d\x01e" "d\x01f" "\xff"] ["a/" "b/" "c/" "\xff/"] truncated=false next="\xff/"`},
		{"DelimiterPaged", ListOptions{Delimiter: "/", MaxKeys: 2}, `["a"] ["a/"] truncated=true next="a/"`},
		{"AfterPrefixItself", ListOptions{Delimiter: "/", After: "a/", MaxKeys: 2}, `["b"] ["b/"] truncated=true next="b/"`},
		{"AfterInsidePrefix", ListOptions{Delimiter: "/", After: "a/1", MaxKeys: 1}, `["b"] [] truncated=true next="b"`},
		{"PrefixAndDelimiter", ListOptions{Prefix: "a/", Delimiter: "/", MaxKeys: 10}, `["a/1" "a/2"] ["a/b/"] truncated=false next="a/b/"`},
		{"MultiCharDelimiter", ListOptions{Delimiter: "//", MaxKeys: 20}, fmt.Sprintf(`["a" "a/1" "a/2" "a/b/c" "b" "b/" "c/e" "d\x01e" "d\x01f" %q %q] ["c//"] truncated=false next=%q`, "\xff", "\xff/x", "\xff/x")},
		{"ControlDelimiter", ListOptions{Prefix: "d", Delimiter: "\x01", MaxKeys: 10}, `[] ["d\x01"] truncated=false next="d\x01"`},
		{"AfterBeforePrefix", ListOptions{Prefix: "c", After: "a", MaxKeys: 10}, `["c//d" "c/e"] [] truncated=false next="c/e"`},
		{"AfterPastPrefix", ListOptions{Prefix: "a", After: "b", MaxKeys: 10}, `[] [] truncated=false next=""`},
		{"AfterLastKey", ListOptions{After: "\xff/x", MaxKeys: 10}, `[] [] truncated=false next=""`},
		{"AllFFPrefix", ListOptions{Delimiter: "/", After: "\xff/", MaxKeys: 10}, `[] [] truncated=false next=""`},
		{"NoMatch", ListOptions{Prefix: "zz", MaxKeys: 10}, `[] [] truncated=false next=""`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := pageOf(Paginate(tc.opts, newCursor(keys...))); got != tc.want {
				t.Errorf("Paginate(%+v)\n got %s\nwant %s", tc.opts, got, tc.want)
			}
		})
	}
}

// TestPaginateSkipsPrefixes checks that a rolled-up prefix costs one seek,
// not a read of every key under it.
func TestPaginateSkipsPrefixes(t *testing.T) {
	var keys []string
	for d := range 5 {
		for i := range 1000 {
			keys = append(keys, fmt.Sprintf("dir%d/%04d", d, i))
		}
	}
	c := newCursor(keys...)
	res := Paginate(ListOptions{Delimiter: "/", MaxKeys: 1000}, c)
	if len(res.CommonPrefixes) != 5 || res.IsTruncated {
		t.Fatalf("got %s, want 5 common prefixes", pageOf(res))
	}
	if c.reads > 10 || c.seeks > 6 {
		t.Fatalf("listing 5 common prefixes over 5000 keys read %d keys with %d seeks; want at most 10 reads", c.reads, c.seeks)
	}
}
