package s3

import (
	"errors"
	"strings"
	"testing"
)

func TestRangeResolve(t *testing.T) {
	tests := []struct {
		header        string
		size          int64
		ok            bool // false: header ignored, whole object
		start, length int64
		invalid       bool // 416
	}{
		{"bytes=0-0", 10, true, 0, 1, false},
		{"bytes=0-9", 10, true, 0, 10, false},
		{"bytes=2-", 10, true, 2, 8, false},
		{"bytes=-4", 10, true, 6, 4, false},
		{"bytes=-40", 10, true, 0, 10, false},
		{"bytes=5-1000", 10, true, 5, 5, false},
		{"bytes= 1 - 2 ", 10, true, 1, 2, false},
		{"bytes=10-", 10, true, 0, 0, true},
		{"bytes=-0", 10, true, 0, 0, true},
		{"bytes=0-", 0, true, 0, 0, true},
		{"bytes=-1", 0, true, 0, 0, true},
		{"bytes=3-2", 10, false, 0, 0, false},
		{"bytes=0-1,3-4", 10, false, 0, 0, false},
		{"bytes=a-b", 10, false, 0, 0, false},
		{"bytes=-", 10, false, 0, 0, false},
		{"bytes=+1-2", 10, false, 0, 0, false},
		{"bytes=99999999999999999999-", 10, false, 0, 0, false},
		{"lines=1-2", 10, false, 0, 0, false},
		{"", 10, false, 0, 0, false},
	}
	for _, tt := range tests {
		r, ok := parseRange(tt.header)
		if ok != tt.ok {
			t.Errorf("parseRange(%q) ok = %v, want %v", tt.header, ok, tt.ok)
			continue
		}
		if !ok {
			continue
		}
		start, length, err := r.resolve(tt.size)
		if tt.invalid {
			if size, has := rangeSize(err); !errors.Is(err, ErrInvalidRange) || !has || size != tt.size {
				t.Errorf("%q on %d bytes: err %v, want InvalidRange carrying the size", tt.header, tt.size, err)
			}
			continue
		}
		if err != nil || start != tt.start || length != tt.length {
			t.Errorf("%q on %d bytes = %d+%d, %v; want %d+%d", tt.header, tt.size, start, length, err, tt.start, tt.length)
		}
	}
}

// FuzzRange checks that any Range header either is ignored or selects a
// non-empty span inside the object, or is InvalidRange, and never panics.
func FuzzRange(f *testing.F) {
	for _, s := range []string{"bytes=0-0", "bytes=5-", "bytes=-5", "bytes=1-2,3-4", "bytes=9223372036854775807-",
		"bytes=-9223372036854775807", "bytes=0-9223372036854775807", "bytes= - ", "bytes=--1", ""} {
		f.Add(s, int64(100))
	}
	f.Fuzz(func(t *testing.T, header string, size int64) {
		if size < 0 {
			size = -(size + 1)
		}
		r, ok := parseRange(header)
		if !ok {
			return
		}
		start, length, err := r.resolve(size)
		if err != nil {
			if !errors.Is(err, ErrInvalidRange) {
				t.Fatalf("%q: error %v is not InvalidRange", header, err)
			}
			return
		}
		if start < 0 || length < 1 || start+length > size || start+length < start {
			t.Fatalf("%q on %d bytes selected %d+%d", header, size, start, length)
		}
	})
}

func TestParseCopySource(t *testing.T) {
	tests := []struct {
		in, bucket, key string
		err             bool
	}{
		{"bucket/key", "bucket", "key", false},
		{"/bucket/dir/key", "bucket", "dir/key", false},
		{"/bucket/a%20b%2Bc%3Fd", "bucket", "a b+c?d", false},
		{"/bucket/%C3%BC", "bucket", "ü", false},
		{"/bucket/key?versionId=null", "bucket", "key", false},
		{"/bucket/key?versionId=abc", "", "", true},
		{"/bucket/", "", "", true},
		{"/bucket", "", "", true},
		{"", "", "", true},
		{"/bucket/%zz", "", "", true},
	}
	for _, tt := range tests {
		b, k, err := parseCopySource(tt.in)
		if (err != nil) != tt.err || b != tt.bucket || k != tt.key {
			t.Errorf("parseCopySource(%q) = %q, %q, %v", tt.in, b, k, err)
		}
		if err != nil && AsCode(err) != ErrInvalidArgument {
			t.Errorf("parseCopySource(%q) error code %s, want InvalidArgument", tt.in, AsCode(err))
		}
	}
}

// FuzzParseCopySource checks the parser never panics and that what it
// accepts names a non-empty bucket and key that round-trip when escaped.
func FuzzParseCopySource(f *testing.F) {
	for _, s := range []string{"b/k", "/b/k", "/b/a%2Fb", "/b/k?versionId=null", "/b/k?x=%", "%", "/", "//", "/b//k"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		b, k, err := parseCopySource(v)
		if err != nil {
			if AsCode(err) != ErrInvalidArgument {
				t.Fatalf("%q: code %s", v, AsCode(err))
			}
			return
		}
		if b == "" || k == "" || strings.Contains(b, "/") {
			t.Fatalf("%q parsed to bucket %q key %q", v, b, k)
		}
	})
}

func TestCheckBucketName(t *testing.T) {
	valid := []string{"abc", "a-b", "a.b.c", "0ab", strings.Repeat("z", 63), "my-bucket.2024"}
	invalid := []string{"", "ab", strings.Repeat("z", 64), "ABC", "a_b", "a b", "-ab", "ab-", ".ab", "ab.",
		"a..b", "10.0.0.1", "xn--ab", "ab-s3alias", "ab--ol-s3", "sthree-ab", "é-ab"}
	for _, n := range valid {
		if err := CheckBucketName(n); err != nil {
			t.Errorf("CheckBucketName(%q) = %v, want nil", n, err)
		}
	}
	for _, n := range invalid {
		if err := CheckBucketName(n); AsCode(err) != ErrInvalidBucketName {
			t.Errorf("CheckBucketName(%q) = %v, want InvalidBucketName", n, err)
		}
	}
}

func TestToCodeMapsAuthSentinels(t *testing.T) {
	for _, e := range authCodes {
		code, msg := toCode(e.sentinel)
		if code != e.code || msg == "" {
			t.Errorf("toCode(%v) = %s %q, want %s", e.sentinel, code, msg, e.code)
		}
	}
	if code, _ := toCode(errors.New("disk on fire")); code != ErrInternalError {
		t.Errorf("unknown error mapped to %s", code)
	}
}
