package store

import (
	"bytes"
	"sort"
	"testing"
)

func TestKeyOrder(t *testing.T) {
	keys := []string{"", "\x00", "\x00\x00", "\x00\x01", "\x00\xff", "\x01", "a", "a\x00", "a\x00b", "a\x01", "ab", "a\xff", "\xff", "\xff\x00", "\xff\xff"}
	type enc func(string) []byte
	encodings := map[string]enc{
		"object": func(k string) []byte { return ObjectKey("u", "b", k) },
		"upload": func(k string) []byte { return uploadKey("u", "b", k, "") },
		"bucket": func(k string) []byte { return bucketKey("u", k) },
	}
	for name, f := range encodings {
		t.Run(name, func(t *testing.T) {
			encoded := make([][]byte, len(keys))
			for i, k := range keys {
				encoded[i] = f(k)
			}
			if !sort.SliceIsSorted(encoded, func(i, j int) bool { return bytes.Compare(encoded[i], encoded[j]) < 0 }) {
				t.Fatalf("encoded keys do not keep byte order")
			}
		})
	}
}

func TestEscapeRoundTrip(t *testing.T) {
	for _, s := range []string{"", "\x00", "a\x00\x00b", "\xff\x00\x01", "plain"} {
		got, rest, ok := unescape(append(appendEscaped(nil, s), "tail"...))
		if !ok || got != s || string(rest) != "tail" {
			t.Errorf("unescape(escape(%q)) = %q, %q, %v", s, got, rest, ok)
		}
	}
}

func TestNamespacesDoNotOverlap(t *testing.T) {
	// Without length prefixes ("ab","c") and ("a","bc") would share keys.
	pairs := [][2]string{{"ab", "c"}, {"a", "bc"}, {"a\x00", "b"}, {"a", "\x00b"}}
	seen := map[string]bool{}
	for _, p := range pairs {
		k := string(objectsPrefix(p[0], p[1]))
		for s := range seen {
			if len(s) <= len(k) && k[:len(s)] == s || len(k) <= len(s) && s[:len(k)] == k {
				t.Fatalf("prefix of %q overlaps another", p)
			}
		}
		seen[k] = true
	}
}
