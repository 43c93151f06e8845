package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// testObject is one object of the multi-node scenarios. Its bytes are
// regenerated from seed whenever they are needed, so that a set of
// gigabytes never has to stay in memory.
type testObject struct {
	key  string
	size int
	seed uint64
	sum  string // hex SHA-256 of data()
}

// data returns the object's bytes: a ChaCha8 stream keyed by seed.
func (o testObject) data() []byte {
	var key [32]byte
	binary.LittleEndian.PutUint64(key[:], o.seed)
	b := make([]byte, o.size)
	rand.NewChaCha8(key).Read(b)
	return b
}

// mixedObjects returns n objects whose sizes run from 1 KiB to maxSize,
// log-uniformly (as many small as large objects per doubling), with the
// boundaries the node treats differently always present: the smallest and
// largest size, inline storage (8 KiB) and inline replication (1 MiB),
// each on both sides.
func mixedObjects(n, maxSize int, seed uint64) []testObject {
	sizes := []int{1 << 10, maxSize, 8 << 10, 8<<10 + 1, 1 << 20, 1<<20 + 1}
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	lo, hi := math.Log(1<<10), math.Log(float64(maxSize))
	for len(sizes) < n {
		sizes = append(sizes, int(math.Exp(lo+r.Float64()*(hi-lo))))
	}
	objs := make([]testObject, n)
	for i := range objs {
		o := testObject{key: fmt.Sprintf("obj/%03d-%d", i, sizes[i]), size: sizes[i], seed: seed<<32 | uint64(i)}
		o.sum = sha256Hex(o.data())
		objs[i] = o
	}
	return objs
}

// totalSize is the bytes of objs together.
func totalSize(objs []testObject) int64 {
	var n int64
	for _, o := range objs {
		n += int64(o.size)
	}
	return n
}

// plainSDK returns an aws-sdk-go-v2 client for endpoint that validates no
// response checksum: the tests compare SHA-256 themselves, so a node that
// serves wrong bytes is caught by the test, not masked by an SDK error. It
// does not retry either (the tests poll with their own deadlines, and the
// SDK's retry quota would otherwise turn a slow node into "quota
// exceeded"), and its own transport keeps enough idle connections for
// concurrent callers.
func plainSDK(t testing.TB, endpoint, access, secret string) *s3.Client {
	t.Helper()
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 32
	t.Cleanup(tr.CloseIdleConnections)
	return s3.New(s3.Options{
		Region:                     "us-east-1",
		BaseEndpoint:               aws.String(endpoint),
		UsePathStyle:               true,
		Credentials:                credentials.NewStaticCredentialsProvider(access, secret, ""),
		HTTPClient:                 &http.Client{Transport: tr, Timeout: 5 * time.Minute},
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenSupported,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
		Retryer:                    aws.NopRetryer{},
	})
}

// putObject PUTs o into bucket.
func putObject(ctx context.Context, c *s3.Client, bucket string, o testObject) error {
	_, err := c.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(bucket), Key: aws.String(o.key), Body: bytes.NewReader(o.data()),
	})
	if err != nil {
		return fmt.Errorf("PUT %s (%d bytes): %w", o.key, o.size, err)
	}
	return nil
}

// getSum GETs bucket/key and returns the SHA-256 of the bytes received. A
// response cut short (the node stopped sending, say on a corrupt piece) is
// an error, never a sum.
func getSum(ctx context.Context, c *s3.Client, bucket, key string) (string, error) {
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return "", fmt.Errorf("GET %s: %w", key, err)
	}
	defer out.Body.Close()
	h := sha256.New()
	n, err := io.Copy(h, out.Body)
	if err != nil {
		return "", fmt.Errorf("GET %s: body after %d bytes: %w", key, n, err)
	}
	if out.ContentLength != nil && n != *out.ContentLength {
		return "", fmt.Errorf("GET %s: %d bytes, Content-Length %d", key, n, *out.ContentLength)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// errWrongBytes marks a GET that returned different bytes than were PUT:
// never retried, always a failure.
var errWrongBytes = errors.New("wrong bytes served")

// getUntil GETs o from c until its SHA-256 matches, for at most within;
// wrong bytes end it at once with errWrongBytes.
func getUntil(ctx context.Context, c *s3.Client, bucket string, o testObject, within time.Duration) error {
	deadline := time.Now().Add(within)
	for {
		sum, err := getSum(ctx, c, bucket, o.key)
		switch {
		case err == nil && sum == o.sum:
			return nil
		case err == nil:
			return fmt.Errorf("%w: GET %s: SHA-256 %s, want %s", errWrongBytes, o.key, sum, o.sum)
		case time.Now().After(deadline) || ctx.Err() != nil:
			return fmt.Errorf("not readable within %v: %w", within, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// forEach runs f(0) … f(n-1) on at most workers goroutines and returns
// the errors joined; after the first error the indexes not yet started
// are skipped.
func forEach(n, workers int, f func(i int) error) error {
	var (
		mu   sync.Mutex
		errs []error
		next int
		wg   sync.WaitGroup
	)
	take := func() (int, bool) {
		mu.Lock()
		defer mu.Unlock()
		if next >= n || len(errs) > 0 {
			return 0, false
		}
		next++
		return next - 1, true
	}
	for range workers {
		wg.Go(func() {
			for i, ok := take(); ok; i, ok = take() {
				if err := f(i); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// countHolders counts the nodes among nodes that hold bucket/key as one of
// its copies (the writer's or a holder's, not a cached read).
func countHolders(t testing.TB, nodes []*testNode, bucket, key string) int {
	cnt := 0
	for _, n := range nodes {
		if ok, err := n.Holds(t.Context(), n.access, bucket, key); err == nil && ok {
			cnt++
		}
	}
	return cnt
}

// underReplicated returns how many of objs have fewer than want holders
// among nodes, and the first of them.
func underReplicated(t testing.TB, nodes []*testNode, bucket string, objs []testObject, want int) (int, string) {
	short, first := 0, ""
	for _, o := range objs {
		if h := countHolders(t, nodes, bucket, o.key); h < want {
			if short == 0 {
				first = fmt.Sprintf("%s has %d", o.key, h)
			}
			short++
		}
	}
	return short, first
}

// storedFile finds, under a node's data dir, the object file holding the
// bytes of o: the swarm names files by infohash (objects/obj/ab/cd/…), so
// the file is recognised by its size and SHA-256. "" if there is none.
func storedFile(t testing.TB, dir string, o testObject) string {
	t.Helper()
	found := ""
	filepath.WalkDir(filepath.Join(dir, "objects", "obj"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || found != "" {
			return nil
		}
		if fi, err := d.Info(); err != nil || fi.Size() != int64(o.size) {
			return nil
		}
		if sum, err := storedSHA256(path); err == nil && sum == o.sum {
			found = path
		}
		return nil
	})
	return found
}

// storedSHA256 is the hex SHA-256 of the file at path.
func storedSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// flipByte inverts the bits of the byte at off in the file at path, in
// place, as a failing disk would.
func flipByte(t testing.TB, path string, off int64) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatalf("open %s to corrupt it: %v", path, err)
	}
	defer f.Close()
	b := make([]byte, 1)
	if _, err := f.ReadAt(b, off); err != nil {
		t.Fatalf("read byte %d of %s: %v", off, path, err)
	}
	b[0] ^= 0xff
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatalf("write byte %d of %s: %v", off, path, err)
	}
	if err := f.Sync(); err != nil {
		t.Fatalf("sync %s: %v", path, err)
	}
}

// listBucket lists every key of bucket through c.
func listBucket(ctx context.Context, c *s3.Client, bucket string) ([]string, error) {
	return listPrefix(ctx, c, bucket, "")
}

// listPrefix lists the keys of bucket under prefix through c.
func listPrefix(ctx context.Context, c *s3.Client, bucket, prefix string) ([]string, error) {
	var keys []string
	p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, o := range page.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
	}
	return keys, nil
}
