package catalog

import (
	"bytes"
	"errors"
	"reflect"
	"sort"
	"testing"
	"time"
)

func TestEntryRoundTrip(t *testing.T) {
	full := Entry{
		Key:       "a/\x00b\xff",
		VersionID: "0001",
		Size:      5 << 40,
		ETag:      "d41d8cd98f00b204e9800998ecf8427e-3",
		Metadata: Metadata{
			ContentType: "text/plain", ContentEncoding: "gzip",
			ContentDisposition: "attachment", ContentLanguage: "en",
			CacheControl: "no-cache", Expires: "Thu, 01 Dec 1994 16:00:00 GMT",
			User: map[string]string{"z": "1", "a": "", "m": "\x00"},
		},
		Checksum:     Checksum{Algorithm: "CRC32C", Value: "AAAAAA=="},
		PartsCount:   3,
		Time:         Time{Wall: -5, Logical: 7},
		Writer:       "node",
		DeleteMarker: true,
	}
	full.InfoHash[19] = 0xff
	full.SHA256[0] = 1
	for name, e := range map[string]Entry{"zero": {}, "full": full} {
		t.Run(name, func(t *testing.T) {
			b, err := e.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			var got Entry
			if err := got.UnmarshalBinary(b); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, e) {
				t.Fatalf("round trip:\n got %+v\nwant %+v", got, e)
			}
			again, _ := got.MarshalBinary()
			if !bytes.Equal(again, b) {
				t.Fatal("encoding is not deterministic")
			}
		})
	}
}

func TestEntryDecodeErrors(t *testing.T) {
	good, _ := (&Entry{Key: "k", Metadata: Metadata{User: map[string]string{"a": "b"}}}).MarshalBinary()
	tests := []struct {
		name string
		b    []byte
		want error
	}{
		{"empty", nil, ErrCorrupt},
		{"version", append([]byte{9}, good[1:]...), ErrUnknownVersion},
		{"truncated", good[:len(good)-1], ErrCorrupt},
		{"trailing", append(append([]byte(nil), good...), 0), ErrCorrupt},
		{"huge string", []byte{1, 0, 0xff, 0xff, 0xff, 0x0f}, ErrCorrupt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var e Entry
			if err := e.UnmarshalBinary(tt.b); !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
		})
	}
}

func TestKeyOrder(t *testing.T) {
	keys := []string{"", "\x00", "\x00\x00", "\x00\x01", "\x00\xff", "\x01", "a", "a\x00", "a\x00b", "a\x01", "ab", "a\xff", "\xff", "\xff\x00", "\xff\xff"}
	type enc func(string) []byte
	encodings := map[string]enc{
		"object": func(k string) []byte { return objectKey("u", "b", k) },
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

func TestClockMonotonic(t *testing.T) {
	c := NewClock(func() time.Time { return time.Unix(100, 0) })
	a := c.Now()
	b := c.Now()
	if b.Compare(a) <= 0 {
		t.Fatalf("%v not after %v", b, a)
	}
	c.Observe(Time{Wall: time.Unix(200, 0).UnixNano(), Logical: 3})
	if d := c.Now(); d.Wall != time.Unix(200, 0).UnixNano() || d.Logical != 4 {
		t.Fatalf("after observe: %+v", d)
	}
}
