package s3test

import (
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"maps"
	"testing"
	"time"

	"github.com/d3s/d3s/s3"
)

func testObjects(t *testing.T, newStore func(t *testing.T) s3.ObjectStore) {
	f := newFixture(t, newStore)
	f.bucket(alice, "objects")
	t.Run("RoundTrip", func(t *testing.T) { testRoundTrip(t, f.with(t)) })
	t.Run("Seek", func(t *testing.T) { testSeek(t, f.with(t)) })
	t.Run("MetadataAndChecksum", func(t *testing.T) { testMetadata(t, f.with(t)) })
	t.Run("SizeMismatch", func(t *testing.T) { testSizeMismatch(t, f.with(t)) })
	t.Run("ReaderError", func(t *testing.T) { testReaderError(t, f.with(t)) })
	t.Run("Digests", func(t *testing.T) { testDigests(t, f.with(t)) })
	t.Run("Overwrite", func(t *testing.T) { testOverwrite(t, f.with(t)) })
	t.Run("Delete", func(t *testing.T) { testDelete(t, f.with(t)) })
}

// with is f reporting to the subtest t.
func (f *fixture) with(t *testing.T) *fixture {
	return &fixture{t: t, s: f.s, ctx: t.Context()}
}

func testRoundTrip(t *testing.T, f *fixture) {
	for i, size := range []int{0, 1, 4 << 10, 1<<20 + 1, 9<<20 + 123} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			f := f.with(t)
			data := randomBytes(uint64(i), size)
			key := fmt.Sprintf("round/trip-%d", size)
			before := time.Now()
			put := f.put(alice, "objects", key, data, s3.PutOptions{})
			checkInfo(t, "PutObject", put, key, data, before)
			got := f.wantBody(alice, "objects", key, data)
			checkInfo(t, "GetObject", got, key, data, before)
			head, err := f.s.HeadObject(f.ctx, alice, "objects", key)
			if err != nil {
				t.Fatal(err)
			}
			checkInfo(t, "HeadObject", head, key, data, before)
		})
	}
}

// checkInfo checks the fields a single PUT of data determines.
func checkInfo(t *testing.T, op string, info s3.ObjectInfo, key string, data []byte, before time.Time) {
	t.Helper()
	if info.Key != key || info.Size != int64(len(data)) {
		t.Errorf("%s: key %q size %d, want %q size %d", op, info.Key, info.Size, key, len(data))
	}
	if want := md5Hex(data); info.ETag != want {
		t.Errorf("%s: ETag %q, want %q", op, info.ETag, want)
	}
	if want := sha256.Sum256(data); info.SHA256 != want {
		t.Errorf("%s: SHA256 %x, want %x", op, info.SHA256, want)
	}
	if info.PartsCount != 0 {
		t.Errorf("%s: PartsCount %d, want 0 for a single PUT", op, info.PartsCount)
	}
	// Stores may keep whole seconds, as HTTP dates do.
	if lm := info.LastModified; lm.Before(before.Add(-time.Second)) || lm.After(time.Now().Add(time.Second)) {
		t.Errorf("%s: LastModified %v, want about %v", op, lm, before)
	}
}

func testSeek(t *testing.T, f *fixture) {
	data := randomBytes(7, 10000)
	f.put(alice, "objects", "seek", data, s3.PutOptions{})
	_, rc, err := f.s.GetObject(f.ctx, alice, "objects", "seek")
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	for _, off := range []int64{9000, 1, 0, 9999} {
		if n, err := rc.Seek(off, io.SeekStart); err != nil || n != off {
			t.Fatalf("Seek(%d) = %d, %v", off, n, err)
		}
		got := make([]byte, min(100, len(data)-int(off)))
		if _, err := io.ReadFull(rc, got); err != nil || !bytes.Equal(got, data[off:int(off)+len(got)]) {
			t.Fatalf("read at %d: %v, bytes differ", off, err)
		}
	}
}

func testMetadata(t *testing.T, f *fixture) {
	md := s3.Metadata{
		ContentType:        "image/png",
		ContentEncoding:    "gzip",
		ContentDisposition: `attachment; filename="a b.png"`,
		ContentLanguage:    "fr-CH",
		CacheControl:       "max-age=60",
		Expires:            "Wed, 21 Oct 2037 07:28:00 GMT",
		User:               map[string]string{"colour": "blue", "note": "ünïcødé value"},
	}
	data := []byte("metadata body")
	calls := 0
	want := crc32Checksum(data)
	put := f.put(alice, "objects", "meta", data, s3.PutOptions{
		Metadata: md,
		Checksum: func() s3.Checksum { calls++; return want },
	})
	if calls != 1 {
		t.Errorf("Checksum called %d times, want once", calls)
	}
	wantMD := md
	wantMD.User = maps.Clone(md.User)
	md.User["colour"] = "changed after the put" // the store must have copied the map
	for op, info := range map[string]s3.ObjectInfo{"PutObject": put, "GetObject": f.wantBody(alice, "objects", "meta", data)} {
		if !sameMetadata(info.Metadata, wantMD) {
			t.Errorf("%s: Metadata %+v, want %+v", op, info.Metadata, wantMD)
		}
		if info.Checksum != want {
			t.Errorf("%s: Checksum %+v, want %+v", op, info.Checksum, want)
		}
	}
	// A version without metadata has none.
	plain := f.put(alice, "objects", "meta", data, s3.PutOptions{})
	if head, _ := f.s.HeadObject(f.ctx, alice, "objects", "meta"); len(head.Metadata.User) != 0 || head.Metadata.ContentType != "" || head.Checksum != (s3.Checksum{}) {
		t.Errorf("overwrite without metadata: HeadObject = %+v (put %+v), want no metadata or checksum", head, plain)
	}
}

// crc32Checksum is the x-amz-checksum-crc32 of data.
func crc32Checksum(data []byte) s3.Checksum {
	v := binary.BigEndian.AppendUint32(nil, crc32.ChecksumIEEE(data))
	return s3.Checksum{Algorithm: "CRC32", Value: base64.StdEncoding.EncodeToString(v)}
}

func sameMetadata(a, b s3.Metadata) bool {
	return a.ContentType == b.ContentType && a.ContentEncoding == b.ContentEncoding &&
		a.ContentDisposition == b.ContentDisposition && a.ContentLanguage == b.ContentLanguage &&
		a.CacheControl == b.CacheControl && a.Expires == b.Expires && maps.Equal(a.User, b.User)
}

func testSizeMismatch(t *testing.T, f *fixture) {
	f.put(alice, "objects", "sized-old", []byte("previous"), s3.PutOptions{})
	for _, tc := range []struct {
		name string
		size int64
		body string
	}{
		{"Short", 10, "12345"},
		{"Long", 5, "1234567890"},
		{"EmptyBodyNonZeroSize", 3, ""},
		{"ZeroSizeNonEmptyBody", 0, "x"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, key := range []string{"sized-new", "sized-old"} {
				_, err := f.s.PutObject(t.Context(), alice, "objects", key, bytes.NewReader([]byte(tc.body)), s3.PutOptions{Size: tc.size})
				wantCode(t, err, s3.ErrIncompleteBody)
			}
			f.with(t).wantMissing(alice, "objects", "sized-new")
			f.with(t).wantBody(alice, "objects", "sized-old", []byte("previous"))
		})
	}
}

// failingReader returns n bytes of data and then err.
type failingReader struct {
	data []byte
	err  error
}

func (r *failingReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, r.err
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

func testReaderError(t *testing.T, f *fixture) {
	boom := errors.New("connection reset by the test")
	old := []byte("the previous version")
	f.put(alice, "objects", "fail-old", old, s3.PutOptions{})
	for _, tc := range []struct {
		name string
		err  error
		got  int // bytes delivered before the error
		size int64
	}{
		{"MidBody", boom, 1000, 2000},
		{"Immediately", boom, 0, 2000},
		{"AfterAllBytes", boom, 2000, 2000},
		{"Code", s3.ErrSignatureDoesNotMatch, 100, 2000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, key := range []string{"fail-new", "fail-old"} {
				r := &failingReader{data: randomBytes(1, tc.got), err: tc.err}
				_, err := f.s.PutObject(t.Context(), alice, "objects", key, r, s3.PutOptions{Size: tc.size})
				if !errors.Is(err, tc.err) {
					t.Fatalf("PutObject(%s) = %v, want the reader's error %v", key, err, tc.err)
				}
			}
			f.with(t).wantMissing(alice, "objects", "fail-new")
			f.with(t).wantBody(alice, "objects", "fail-old", old)
		})
	}
}

func testDigests(t *testing.T, f *fixture) {
	data := []byte("digest me")
	goodMD5 := md5Sum(data)
	goodSHA := sha256.Sum256(data)
	badMD5 := md5Sum([]byte("something else"))
	badSHA := sha256.Sum256([]byte("something else"))
	for _, tc := range []struct {
		name      string
		md5, sha  []byte
		wantError s3.Code // "" for success
	}{
		{"GoodMD5", goodMD5, nil, ""},
		{"GoodSHA256", nil, goodSHA[:], ""},
		{"GoodBoth", goodMD5, goodSHA[:], ""},
		{"BadMD5", badMD5, nil, s3.ErrBadDigest},
		{"BadSHA256", nil, badSHA[:], s3.ErrXAmzContentSHA256Mismatch},
		{"BadMD5GoodSHA256", badMD5, goodSHA[:], s3.ErrBadDigest},
		{"GoodMD5BadSHA256", goodMD5, badSHA[:], s3.ErrXAmzContentSHA256Mismatch},
	} {
		t.Run(tc.name, func(t *testing.T) {
			key := "digest-" + tc.name
			_, err := f.s.PutObject(t.Context(), alice, "objects", key, bytes.NewReader(data),
				s3.PutOptions{Size: int64(len(data)), ContentMD5: tc.md5, ContentSHA256: tc.sha})
			if tc.wantError == "" {
				if err != nil {
					t.Fatalf("PutObject with correct digests: %v", err)
				}
				f.with(t).wantBody(alice, "objects", key, data)
				return
			}
			wantCode(t, err, tc.wantError)
			f.with(t).wantMissing(alice, "objects", key)
		})
	}
}

func testOverwrite(t *testing.T, f *fixture) {
	first := f.put(alice, "objects", "over", []byte("first version, longer"), s3.PutOptions{Metadata: s3.Metadata{ContentType: "text/plain"}})
	second := f.put(alice, "objects", "over", []byte("second"), s3.PutOptions{Metadata: s3.Metadata{ContentType: "text/html"}})
	if first.ETag == second.ETag {
		t.Fatalf("two different bodies share ETag %q", first.ETag)
	}
	got := f.wantBody(alice, "objects", "over", []byte("second"))
	if got.ETag != second.ETag || got.Metadata.ContentType != "text/html" {
		t.Fatalf("after overwrite: %+v, want the second version", got)
	}
}

func testDelete(t *testing.T, f *fixture) {
	f.put(alice, "objects", "doomed", []byte("x"), s3.PutOptions{})
	for range 2 { // the second delete is of a missing key, which succeeds
		if err := f.s.DeleteObject(f.ctx, alice, "objects", "doomed"); err != nil {
			t.Fatalf("DeleteObject: %v", err)
		}
		f.wantMissing(alice, "objects", "doomed")
		_, rc, err := f.s.GetObject(f.ctx, alice, "objects", "doomed")
		if rc != nil {
			rc.Close()
		}
		wantCode(t, err, s3.ErrNoSuchKey)
	}
	if err := f.s.DeleteObject(f.ctx, alice, "objects", "never-existed"); err != nil {
		t.Fatalf("DeleteObject of a missing key: %v", err)
	}
}

func md5Sum(b []byte) []byte {
	s := md5.Sum(b)
	return s[:]
}
