package s3test

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"sync"
	"testing"

	"github.com/d3s/d3s/s3"
)

// testConcurrency has 16 goroutines write distinct keys and one shared key
// while reading both: each read must return one complete version whose
// bytes match its own Size, ETag and SHA-256.
func testConcurrency(t *testing.T, newStore func(t *testing.T) s3.ObjectStore) {
	f := newFixture(t, newStore)
	f.bucket(alice, "busy")
	f.put(alice, "busy", "shared", versionBody(99, 0), s3.PutOptions{})
	const workers, rounds = 16, 20
	var wg sync.WaitGroup
	for g := range workers {
		wg.Go(func() {
			for r := range rounds {
				if err := concurrentRound(f, g, r); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	res, err := f.s.ListObjects(f.ctx, alice, "busy", s3.ListOptions{MaxKeys: 1000})
	if err != nil || len(res.Objects) != workers+1 {
		t.Fatalf("after the run: %d objects, %v; want %d", len(res.Objects), err, workers+1)
	}
}

// versionBody is the body worker g writes in round r: one repeated byte,
// with a length that differs between versions.
func versionBody(g, r int) []byte {
	return bytes.Repeat([]byte{byte(g)}, 1000+97*g+13*r)
}

func concurrentRound(f *fixture, g, r int) error {
	own := fmt.Sprintf("own-%02d", g)
	body := versionBody(g, r)
	for _, key := range []string{own, "shared"} {
		if _, err := f.s.PutObject(f.ctx, alice, "busy", key, bytes.NewReader(body), s3.PutOptions{Size: int64(len(body))}); err != nil {
			return fmt.Errorf("worker %d: PutObject(%s): %w", g, key, err)
		}
	}
	info, got, err := readVersion(f, own)
	if err != nil {
		return err
	}
	if !bytes.Equal(got, body) || info.ETag != md5Hex(body) {
		return fmt.Errorf("worker %d round %d: own key holds %d bytes, want its last write of %d", g, r, len(got), len(body))
	}
	info, got, err = readVersion(f, "shared")
	if err != nil {
		return err
	}
	if len(got) == 0 || !bytes.Equal(got, bytes.Repeat(got[:1], len(got))) || info.Size != int64(len(got)) ||
		info.ETag != md5Hex(got) || info.SHA256 != sha256.Sum256(got) {
		return fmt.Errorf("worker %d round %d: shared key read a torn version: %d bytes, info %+v", g, r, len(got), info)
	}
	return nil
}

func readVersion(f *fixture, key string) (s3.ObjectInfo, []byte, error) {
	info, rc, err := f.s.GetObject(f.ctx, alice, "busy", key)
	if err != nil {
		return info, nil, fmt.Errorf("GetObject(%s): %w", key, err)
	}
	defer rc.Close()
	got, err := io.ReadAll(rc)
	return info, got, err
}
