package s3test

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/d3s/d3s/s3"
)

// Run is the conformance suite of s3.ObjectStore: every implementation
// passes it unchanged. newStore returns an empty store; it is called once per
// top-level subtest, and may register cleanups on the t it is given.
func Run(t *testing.T, newStore func(t *testing.T) s3.ObjectStore) {
	groups := []struct {
		name string
		run  func(t *testing.T, newStore func(t *testing.T) s3.ObjectStore)
	}{
		{"Buckets", testBuckets},
		{"Objects", testObjects},
		{"Conditions", testConditions},
		{"Copy", testCopy},
		{"List", testList},
		{"Multipart", testMultipart},
		{"Concurrency", testConcurrency},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) { g.run(t, newStore) })
	}
}

// The two users of the suite; each has a private bucket namespace.
var (
	alice = s3.User{AccessKeyID: "AKIAS3TESTALICE00000", Name: "alice"}
	bob   = s3.User{AccessKeyID: "AKIAS3TESTBOB0000000", Name: "bob"}
)

// fixture is a fresh store with helpers that fail the test on unexpected
// errors.
type fixture struct {
	t   *testing.T
	s   s3.ObjectStore
	ctx context.Context
}

func newFixture(t *testing.T, newStore func(t *testing.T) s3.ObjectStore) *fixture {
	t.Helper()
	return &fixture{t: t, s: newStore(t), ctx: t.Context()}
}

// bucket creates bucket for u.
func (f *fixture) bucket(u s3.User, bucket string) {
	f.t.Helper()
	if err := f.s.CreateBucket(f.ctx, u, bucket); err != nil {
		f.t.Fatalf("CreateBucket(%s, %q): %v", u.Name, bucket, err)
	}
}

// put stores data under key with opts (Size is set from data).
func (f *fixture) put(u s3.User, bucket, key string, data []byte, opts s3.PutOptions) s3.ObjectInfo {
	f.t.Helper()
	opts.Size = int64(len(data))
	info, err := f.s.PutObject(f.ctx, u, bucket, key, bytes.NewReader(data), opts)
	if err != nil {
		f.t.Fatalf("PutObject(%q, %d bytes): %v", key, len(data), err)
	}
	return info
}

// get reads key's current version in full.
func (f *fixture) get(u s3.User, bucket, key string) (s3.ObjectInfo, []byte) {
	f.t.Helper()
	info, rc, err := f.s.GetObject(f.ctx, u, bucket, key)
	if err != nil {
		f.t.Fatalf("GetObject(%q): %v", key, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		f.t.Fatalf("GetObject(%q): read body: %v", key, err)
	}
	return info, data
}

// wantBody checks that key holds exactly want.
func (f *fixture) wantBody(u s3.User, bucket, key string, want []byte) s3.ObjectInfo {
	f.t.Helper()
	info, got := f.get(u, bucket, key)
	if !bytes.Equal(got, want) {
		f.t.Fatalf("GetObject(%q): %d bytes with SHA-256 %x, want %d bytes with SHA-256 %x",
			key, len(got), sha256.Sum256(got), len(want), sha256.Sum256(want))
	}
	if info.Size != int64(len(want)) {
		f.t.Fatalf("GetObject(%q): Size %d, want %d", key, info.Size, len(want))
	}
	return info
}

// wantMissing checks that key does not exist.
func (f *fixture) wantMissing(u s3.User, bucket, key string) {
	f.t.Helper()
	_, err := f.s.HeadObject(f.ctx, u, bucket, key)
	wantCode(f.t, err, s3.ErrNoSuchKey)
}

// wantCode checks that err carries the S3 error code want.
func wantCode(t *testing.T, err error, want s3.Code) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %s", want)
	}
	if got := s3.AsCode(err); got != want {
		t.Fatalf("got error %v (code %s), want %s", err, got, want)
	}
}

// randomBytes returns n bytes from a generator seeded by seed.
func randomBytes(seed uint64, n int) []byte {
	var key [32]byte
	key[0], key[1] = byte(seed), byte(seed>>8)
	b := make([]byte, n)
	rand.NewChaCha8(key).Read(b)
	return b
}

func md5Hex(b []byte) string {
	s := md5.Sum(b)
	return hex.EncodeToString(s[:])
}
