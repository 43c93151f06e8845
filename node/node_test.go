package node

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"path/filepath"
	"testing"

	"github.com/d3s/d3s/s3"
	"github.com/d3s/d3s/s3/s3test"
)

var testUser = s3.User{AccessKeyID: "AKIATESTNODE00000000", Name: "test"}

// openNode opens a node in dir, closed at cleanup unless the test closed
// it first.
func openNode(t *testing.T, dir string) *Node {
	t.Helper()
	cfg := DefaultConfig()
	cfg.DataDir = dir
	cfg.S3Addr = "127.0.0.1:0"
	n, err := New(cfg)
	if err != nil {
		t.Fatalf("new node: %v", err)
	}
	t.Cleanup(func() { n.Close() })
	return n
}

// withBucket returns a fresh node holding bucket "b" for testUser.
func withBucket(t *testing.T) (*Node, string) {
	t.Helper()
	dir := t.TempDir()
	n := openNode(t, dir)
	if err := n.CreateBucket(t.Context(), testUser, "b"); err != nil {
		t.Fatal(err)
	}
	return n, dir
}

func put(t *testing.T, n *Node, key string, data []byte) s3.ObjectInfo {
	t.Helper()
	info, err := n.PutObject(t.Context(), testUser, "b", key, bytes.NewReader(data), s3.PutOptions{Size: int64(len(data))})
	if err != nil {
		t.Fatalf("put %q: %v", key, err)
	}
	return info
}

func get(t *testing.T, n *Node, key string) []byte {
	t.Helper()
	_, r, err := n.GetObject(t.Context(), testUser, "b", key)
	if err != nil {
		t.Fatalf("get %q: %v", key, err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("read %q: %v", key, err)
	}
	return b
}

func wantCode(t *testing.T, err error, code s3.Code) {
	t.Helper()
	if got := s3.AsCode(err); got != code || err == nil {
		t.Fatalf("error %v: code %s, want %s", err, got, code)
	}
}

// objectFiles lists the object data files of a node's data dir.
func objectFiles(t *testing.T, dir string) []string {
	t.Helper()
	var files []string
	filepath.WalkDir(filepath.Join(dir, "objects"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, p)
		}
		return nil
	})
	return files
}

func TestConformance(t *testing.T) {
	s3test.Run(t, func(t *testing.T) s3.ObjectStore {
		return openNode(t, t.TempDir())
	})
}

func TestReopenReadsEverything(t *testing.T) {
	n, dir := withBucket(t)
	objects := map[string][]byte{
		"small":      []byte("hello"),
		"big":        bytes.Repeat([]byte("0123456789abcdef"), 64<<10), // 1 MiB, a file
		"dir/":       nil,
		"k\x00\xffz": []byte("odd key"),
	}
	for k, v := range objects {
		put(t, n, k, v)
	}
	if err := n.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	n = openNode(t, dir)
	for k, v := range objects {
		if got := get(t, n, k); !bytes.Equal(got, v) {
			t.Errorf("%q after reopen: %d bytes, want %d", k, len(got), len(v))
		}
	}
	res, err := n.ListObjects(t.Context(), testUser, "b", s3.ListOptions{MaxKeys: 1000})
	if err != nil || len(res.Objects) != len(objects) {
		t.Fatalf("list after reopen: %d objects, %v", len(res.Objects), err)
	}
}

// failingReader returns some bytes and then an error, like a client that
// disconnects mid-upload.
type failingReader struct {
	r   io.Reader
	err error
}

func (f *failingReader) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err == io.EOF {
		return n, f.err
	}
	return n, err
}

var errClientGone = errors.New("client went away")

func TestFailedPutLeavesNothing(t *testing.T) {
	n, dir := withBucket(t)
	const size = 4 << 20
	body := &failingReader{r: bytes.NewReader(make([]byte, size/2)), err: errClientGone}
	_, err := n.PutObject(t.Context(), testUser, "b", "k", body, s3.PutOptions{Size: size})
	if !errors.Is(err, errClientGone) {
		t.Fatalf("put with failing body: %v, want the body's error", err)
	}
	_, err = n.HeadObject(t.Context(), testUser, "b", "k")
	wantCode(t, err, s3.ErrNoSuchKey)
	n.Close()
	n = openNode(t, dir)
	_, err = n.HeadObject(t.Context(), testUser, "b", "k")
	wantCode(t, err, s3.ErrNoSuchKey)
	if files := objectFiles(t, dir); len(files) != 0 {
		t.Fatalf("orphan files after a failed put: %v", files)
	}
}

func TestSameBytesShareStorage(t *testing.T) {
	n, dir := withBucket(t)
	data := bytes.Repeat([]byte("shared "), 300<<10) // ~2 MiB, stored as a file
	a := put(t, n, "a", data)
	before := objectFiles(t, dir)
	if len(before) == 0 {
		t.Fatal("a 2 MiB object left no data file")
	}
	b := put(t, n, "b", data)
	if a.ETag != b.ETag {
		t.Fatalf("ETags differ: %s %s", a.ETag, b.ETag)
	}
	if after := objectFiles(t, dir); len(after) != len(before) {
		t.Fatalf("second copy of the same bytes added files: %d -> %d", len(before), len(after))
	}
	if err := n.DeleteObject(t.Context(), testUser, "b", "a"); err != nil {
		t.Fatal(err)
	}
	if got := get(t, n, "b"); !bytes.Equal(got, data) {
		t.Fatal("deleting one key broke the other key with the same bytes")
	}
	if err := n.DeleteObject(t.Context(), testUser, "b", "b"); err != nil {
		t.Fatal(err)
	}
	if files := objectFiles(t, dir); len(files) != 0 {
		t.Fatalf("files left after deleting both keys: %v", files)
	}
}

func TestOverwriteReleasesOldBytes(t *testing.T) {
	n, dir := withBucket(t)
	put(t, n, "k", bytes.Repeat([]byte("x"), 1<<20))
	put(t, n, "k", bytes.Repeat([]byte("y"), 1<<20))
	if got := get(t, n, "k"); got[0] != 'y' {
		t.Fatal("overwrite not visible")
	}
	if err := n.DeleteObject(t.Context(), testUser, "b", "k"); err != nil {
		t.Fatal(err)
	}
	if files := objectFiles(t, dir); len(files) != 0 {
		t.Fatalf("files left after overwrite and delete: %v", files)
	}
}

func TestMultipartJoinsParts(t *testing.T) {
	n, dir := withBucket(t)
	ctx := t.Context()
	id, err := n.CreateMultipartUpload(ctx, testUser, "b", "mp", s3.PutOptions{Metadata: s3.Metadata{ContentType: "a/b"}})
	if err != nil {
		t.Fatal(err)
	}
	p1 := bytes.Repeat([]byte{1}, s3.MinPartSize)
	p2 := []byte("tail")
	var done []s3.CompletedPart
	for i, p := range [][]byte{p1, p2} {
		info, err := n.UploadPart(ctx, testUser, "b", "mp", id, i+1, bytes.NewReader(p), s3.PutOptions{Size: int64(len(p))})
		if err != nil {
			t.Fatal(err)
		}
		done = append(done, s3.CompletedPart{Number: i + 1, ETag: `"` + info.ETag + `"`})
	}
	info, err := n.CompleteMultipartUpload(ctx, testUser, "b", "mp", id, done, s3.PutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	m1, m2 := md5.Sum(p1), md5.Sum(p2)
	want := md5.Sum(append(m1[:], m2[:]...))
	if wantETag := hex.EncodeToString(want[:]) + "-2"; info.ETag != wantETag {
		t.Fatalf("ETag %s, want %s", info.ETag, wantETag)
	}
	if got := get(t, n, "mp"); !bytes.Equal(got, append(p1, p2...)) {
		t.Fatal("joined object has the wrong bytes")
	}
	_, err = n.ListParts(ctx, testUser, "b", "mp", id, s3.ListPartsOptions{MaxParts: 10})
	wantCode(t, err, s3.ErrNoSuchUpload)
	if err := n.DeleteObject(ctx, testUser, "b", "mp"); err != nil {
		t.Fatal(err)
	}
	if files := objectFiles(t, dir); len(files) != 0 {
		t.Fatalf("files left after deleting the joined object: %v", files)
	}
}
