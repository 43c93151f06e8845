package s3test

import (
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"testing"

	"github.com/d3s/d3s/s3"
)

func testMultipart(t *testing.T, newStore func(t *testing.T) s3.ObjectStore) {
	f := newFixture(t, newStore)
	f.bucket(alice, "mp")
	t.Run("FullFlow", func(t *testing.T) { testMultipartFlow(t, f.with(t)) })
	t.Run("CompleteErrors", func(t *testing.T) { testCompleteErrors(t, f.with(t)) })
	t.Run("Abort", func(t *testing.T) { testAbort(t, f.with(t)) })
	t.Run("PartDigest", func(t *testing.T) { testPartDigest(t, f.with(t)) })
	t.Run("ListParts", func(t *testing.T) { testListParts(t, f.with(t)) })
	t.Run("ListUploads", func(t *testing.T) { testListUploads(t, newFixture(t, newStore)) })
	t.Run("BucketNotEmpty", func(t *testing.T) { testUploadKeepsBucket(t, newFixture(t, newStore)) })
}

// create starts an upload of key in bucket mp.
func (f *fixture) create(key string, md s3.Metadata) string {
	f.t.Helper()
	id, err := f.s.CreateMultipartUpload(f.ctx, alice, "mp", key, s3.PutOptions{Metadata: md})
	if err != nil || id == "" {
		f.t.Fatalf("CreateMultipartUpload(%q) = %q, %v", key, id, err)
	}
	return id
}

// part uploads data as part n.
func (f *fixture) part(key, id string, n int, data []byte) s3.CompletedPart {
	f.t.Helper()
	info, err := f.s.UploadPart(f.ctx, alice, "mp", key, id, n, bytes.NewReader(data), s3.PutOptions{Size: int64(len(data))})
	if err != nil {
		f.t.Fatalf("UploadPart(%d, %d bytes): %v", n, len(data), err)
	}
	if info.Number != n || info.ETag != md5Hex(data) || info.Size != int64(len(data)) {
		f.t.Fatalf("UploadPart(%d) = %+v, want number %d ETag %s size %d", n, info, n, md5Hex(data), len(data))
	}
	return s3.CompletedPart{Number: n, ETag: info.ETag}
}

// multipartETag is S3's ETag of an object assembled from parts.
func multipartETag(parts ...[]byte) string {
	var sums []byte
	for _, p := range parts {
		s := md5.Sum(p)
		sums = append(sums, s[:]...)
	}
	s := md5.Sum(sums)
	return fmt.Sprintf("%s-%d", hex.EncodeToString(s[:]), len(parts))
}

func testMultipartFlow(t *testing.T, f *fixture) {
	md := s3.Metadata{ContentType: "video/mp4", User: map[string]string{"camera": "left"}}
	id := f.create("movie.mp4", md)
	p1 := randomBytes(11, s3.MinPartSize+1)
	p2old := randomBytes(12, s3.MinPartSize)
	p2 := randomBytes(13, s3.MinPartSize)
	p3 := randomBytes(14, s3.MinPartSize+7)
	p4 := randomBytes(15, 1234)
	// Parts may arrive in any order; a part number uploaded twice keeps
	// the second body.
	c4 := f.part("movie.mp4", id, 4, p4)
	c2old := f.part("movie.mp4", id, 2, p2old)
	c1 := f.part("movie.mp4", id, 1, p1)
	c2 := f.part("movie.mp4", id, 2, p2)
	c3 := f.part("movie.mp4", id, 3, p3)
	f.wantMissing(alice, "mp", "movie.mp4") // parts are invisible until completion
	_, err := f.s.CompleteMultipartUpload(f.ctx, alice, "mp", "movie.mp4", id, []s3.CompletedPart{c1, c2old, c3, c4}, s3.PutOptions{})
	wantCode(t, err, s3.ErrInvalidPart)

	info, err := f.s.CompleteMultipartUpload(f.ctx, alice, "mp", "movie.mp4", id, []s3.CompletedPart{c1, c2, c3, c4}, s3.PutOptions{})
	if err != nil {
		t.Fatalf("CompleteMultipartUpload: %v", err)
	}
	whole := bytes.Join([][]byte{p1, p2, p3, p4}, nil)
	got := f.wantBody(alice, "mp", "movie.mp4", whole)
	wantETag := multipartETag(p1, p2, p3, p4)
	for op, i := range map[string]s3.ObjectInfo{"CompleteMultipartUpload": info, "GetObject": got} {
		if i.ETag != wantETag || i.PartsCount != 4 || i.Size != int64(len(whole)) || !sameMetadata(i.Metadata, md) {
			t.Errorf("%s = ETag %q parts %d size %d metadata %+v; want %q, 4, %d, %+v",
				op, i.ETag, i.PartsCount, i.Size, i.Metadata, wantETag, len(whole), md)
		}
		if i.SHA256 != sha256.Sum256(whole) {
			t.Errorf("%s: SHA256 %x is not the whole object's", op, i.SHA256)
		}
	}
	_, err = f.s.ListParts(f.ctx, alice, "mp", "movie.mp4", id, s3.ListPartsOptions{MaxParts: 1000})
	wantCode(t, err, s3.ErrNoSuchUpload)
	_, err = f.s.CompleteMultipartUpload(f.ctx, alice, "mp", "movie.mp4", id, []s3.CompletedPart{c1, c2, c3, c4}, s3.PutOptions{})
	wantCode(t, err, s3.ErrNoSuchUpload)
}

func testCompleteErrors(t *testing.T, f *fixture) {
	small1, small2 := []byte("first small part"), []byte("second small part")
	for _, tc := range []struct {
		name  string
		parts func(c1, c2 s3.CompletedPart) []s3.CompletedPart
		want  s3.Code
	}{
		{"InvalidPartOrder", func(c1, c2 s3.CompletedPart) []s3.CompletedPart { return []s3.CompletedPart{c2, c1} }, s3.ErrInvalidPartOrder},
		{"DuplicatePart", func(c1, c2 s3.CompletedPart) []s3.CompletedPart { return []s3.CompletedPart{c1, c1} }, s3.ErrInvalidPartOrder},
		{"WrongETag", func(c1, c2 s3.CompletedPart) []s3.CompletedPart {
			return []s3.CompletedPart{{Number: 1, ETag: md5Hex([]byte("not it"))}}
		}, s3.ErrInvalidPart},
		{"MissingPart", func(c1, c2 s3.CompletedPart) []s3.CompletedPart {
			return []s3.CompletedPart{{Number: 3, ETag: c1.ETag}}
		}, s3.ErrInvalidPart},
		{"EntityTooSmall", func(c1, c2 s3.CompletedPart) []s3.CompletedPart { return []s3.CompletedPart{c1, c2} }, s3.ErrEntityTooSmall},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := f.with(t)
			key := "bad-" + tc.name
			id := f.create(key, s3.Metadata{})
			c1, c2 := f.part(key, id, 1, small1), f.part(key, id, 2, small2)
			_, err := f.s.CompleteMultipartUpload(f.ctx, alice, "mp", key, id, tc.parts(c1, c2), s3.PutOptions{})
			wantCode(t, err, tc.want)
			f.wantMissing(alice, "mp", key)
			// The upload survives a failed completion: one small part
			// alone is a valid object.
			info, err := f.s.CompleteMultipartUpload(f.ctx, alice, "mp", key, id, []s3.CompletedPart{c2}, s3.PutOptions{})
			if err != nil || info.ETag != multipartETag(small2) {
				t.Fatalf("retry with the last part alone = %+v, %v; want ETag %s", info, err, multipartETag(small2))
			}
			f.wantBody(alice, "mp", key, small2)
		})
	}
	t.Run("Conditions", func(t *testing.T) {
		f := f.with(t)
		f.put(alice, "mp", "taken", []byte("old"), s3.PutOptions{})
		id := f.create("taken", s3.Metadata{})
		c := f.part("taken", id, 1, []byte("new"))
		_, err := f.s.CompleteMultipartUpload(f.ctx, alice, "mp", "taken", id, []s3.CompletedPart{c}, s3.PutOptions{IfNoneMatch: "*"})
		wantCode(t, err, s3.ErrPreconditionFailed)
		id2 := f.create("vacant", s3.Metadata{})
		c = f.part("vacant", id2, 1, []byte("new"))
		_, err = f.s.CompleteMultipartUpload(f.ctx, alice, "mp", "vacant", id2, []s3.CompletedPart{c}, s3.PutOptions{IfMatch: "*"})
		wantCode(t, err, s3.ErrNoSuchKey)
		f.wantBody(alice, "mp", "taken", []byte("old"))
		f.wantMissing(alice, "mp", "vacant")
		for _, up := range []struct{ key, id string }{{"taken", id}, {"vacant", id2}} {
			if err := f.s.AbortMultipartUpload(f.ctx, alice, "mp", up.key, up.id); err != nil {
				t.Fatal(err)
			}
		}
	})
}

func testAbort(t *testing.T, f *fixture) {
	id := f.create("aborted", s3.Metadata{})
	c := f.part("aborted", id, 1, []byte("soon gone"))
	if err := f.s.AbortMultipartUpload(f.ctx, alice, "mp", "aborted", id); err != nil {
		t.Fatalf("AbortMultipartUpload: %v", err)
	}
	wantCode(t, f.s.AbortMultipartUpload(f.ctx, alice, "mp", "aborted", id), s3.ErrNoSuchUpload)
	_, err := f.s.UploadPart(f.ctx, alice, "mp", "aborted", id, 2, bytes.NewReader([]byte("x")), s3.PutOptions{Size: 1})
	wantCode(t, err, s3.ErrNoSuchUpload)
	_, err = f.s.ListParts(f.ctx, alice, "mp", "aborted", id, s3.ListPartsOptions{MaxParts: 10})
	wantCode(t, err, s3.ErrNoSuchUpload)
	_, err = f.s.CompleteMultipartUpload(f.ctx, alice, "mp", "aborted", id, []s3.CompletedPart{c}, s3.PutOptions{})
	wantCode(t, err, s3.ErrNoSuchUpload)
	f.wantMissing(alice, "mp", "aborted")
	_, err = f.s.UploadPart(f.ctx, alice, "mp", "k", "no-such-upload-id", 1, bytes.NewReader(nil), s3.PutOptions{})
	wantCode(t, err, s3.ErrNoSuchUpload)
	other := f.create("right-key", s3.Metadata{})
	_, err = f.s.UploadPart(f.ctx, alice, "mp", "wrong-key", other, 1, bytes.NewReader(nil), s3.PutOptions{})
	wantCode(t, err, s3.ErrNoSuchUpload)
	if err := f.s.AbortMultipartUpload(f.ctx, alice, "mp", "right-key", other); err != nil {
		t.Fatal(err)
	}
}

func testPartDigest(t *testing.T, f *fixture) {
	id := f.create("digests", s3.Metadata{})
	data := []byte("part body")
	_, err := f.s.UploadPart(f.ctx, alice, "mp", "digests", id, 1, bytes.NewReader(data),
		s3.PutOptions{Size: int64(len(data)), ContentMD5: md5Sum([]byte("other"))})
	wantCode(t, err, s3.ErrBadDigest)
	_, err = f.s.UploadPart(f.ctx, alice, "mp", "digests", id, 1, bytes.NewReader(data), s3.PutOptions{Size: int64(len(data)) + 1})
	wantCode(t, err, s3.ErrIncompleteBody)
	res, err := f.s.ListParts(f.ctx, alice, "mp", "digests", id, s3.ListPartsOptions{MaxParts: 10})
	if err != nil || len(res.Parts) != 0 {
		t.Fatalf("ListParts after rejected parts = %+v, %v; want no parts", res, err)
	}
	want := crc32Checksum(data)
	if _, err := f.s.UploadPart(f.ctx, alice, "mp", "digests", id, 1, bytes.NewReader(data), s3.PutOptions{
		Size: int64(len(data)), ContentMD5: md5Sum(data), Checksum: func() s3.Checksum { return want },
	}); err != nil {
		t.Fatalf("UploadPart with a correct digest and checksum: %v", err)
	}
	res, err = f.s.ListParts(f.ctx, alice, "mp", "digests", id, s3.ListPartsOptions{MaxParts: 10})
	if err != nil || len(res.Parts) != 1 || res.Parts[0].Checksum != want {
		t.Fatalf("ListParts = %+v, %v; want part 1 with checksum %+v", res, err, want)
	}
	if err := f.s.AbortMultipartUpload(f.ctx, alice, "mp", "digests", id); err != nil {
		t.Fatal(err)
	}
}

func testListParts(t *testing.T, f *fixture) {
	id := f.create("listed", s3.Metadata{})
	nums := []int{9, 1, 3, 10000, 4}
	for _, n := range nums {
		f.part("listed", id, n, []byte(fmt.Sprint("part ", n)))
	}
	var got []int
	opts := s3.ListPartsOptions{MaxParts: 2}
	for page := 0; page < 10; page++ {
		res, err := f.s.ListParts(f.ctx, alice, "mp", "listed", id, opts)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Parts) > 2 || (res.IsTruncated && len(res.Parts) == 0) {
			t.Fatalf("page %d: %d parts, truncated %v", page, len(res.Parts), res.IsTruncated)
		}
		for _, p := range res.Parts {
			got = append(got, p.Number)
			if want := []byte(fmt.Sprint("part ", p.Number)); p.ETag != md5Hex(want) || p.Size != int64(len(want)) || p.LastModified.IsZero() {
				t.Errorf("part %d = %+v, want ETag %s size %d", p.Number, p, md5Hex(want), len(want))
			}
		}
		if !res.IsTruncated {
			break
		}
		if res.NextPartNumberMarker != got[len(got)-1] {
			t.Fatalf("NextPartNumberMarker %d, want %d", res.NextPartNumberMarker, got[len(got)-1])
		}
		opts.PartNumberMarker = res.NextPartNumberMarker
	}
	if want := []int{1, 3, 4, 9, 10000}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("ListParts paged %v, want %v", got, want)
	}
	if err := f.s.AbortMultipartUpload(f.ctx, alice, "mp", "listed", id); err != nil {
		t.Fatal(err)
	}
}

func testUploadKeepsBucket(t *testing.T, f *fixture) {
	f.bucket(alice, "mp")
	id := f.create("pending", s3.Metadata{})
	wantCode(t, f.s.DeleteBucket(f.ctx, alice, "mp"), s3.ErrBucketNotEmpty)
	if err := f.s.AbortMultipartUpload(f.ctx, alice, "mp", "pending", id); err != nil {
		t.Fatal(err)
	}
	if err := f.s.DeleteBucket(f.ctx, alice, "mp"); err != nil {
		t.Fatalf("DeleteBucket after the upload was aborted: %v", err)
	}
}
