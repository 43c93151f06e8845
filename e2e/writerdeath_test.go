//go:build long

package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Writer death (issue 10): a bucket's index survives its writer.
const (
	// deathKeys is past the 512-entry snapshot threshold several times.
	deathKeys = 2000
	// deathSample is how many keys each survivor GETs.
	deathSample = 200
	// deathServeWithin bounds the time from the writer's death to a
	// survivor listing every key (503s meanwhile are retried).
	deathServeWithin = 90 * time.Second
)

// smallObjects returns n small objects (64–319 bytes) under prefix.
func smallObjects(prefix string, n int, seed uint64) []testObject {
	objs := make([]testObject, n)
	for i := range objs {
		o := testObject{key: fmt.Sprintf("%s/%05d", prefix, i), size: 64 + i%256, seed: seed<<32 | uint64(i)}
		sum := sha256.Sum256(o.data())
		o.sum = hex.EncodeToString(sum[:])
		objs[i] = o
	}
	return objs
}

// putAll PUTs objs into bucket through c, 16 at a time.
func putAll(t *testing.T, c *s3.Client, bucket string, objs []testObject) {
	t.Helper()
	if err := forEach(len(objs), 16, func(i int) error { return putObject(t.Context(), c, bucket, objs[i]) }); err != nil {
		t.Fatal(err)
	}
}

// survivorLists waits until p lists exactly the keys of objs in bucket
// (a 503 is retried; a 200 with no key fails the test: that is the
// silent wrong answer) and returns the time since the writer's death.
func survivorLists(t *testing.T, p *procNode, bucket string, objs []testObject, died time.Time) time.Duration {
	t.Helper()
	var unavailable, short int
	eventually(t, deathServeWithin, fmt.Sprintf("%s lists %d keys of %s", p.endpoint, len(objs), bucket), func() error {
		keys, err := p.listKeys(t, bucket)
		switch {
		case err != nil && strings.Contains(err.Error(), "503"):
			unavailable++
			return err
		case err != nil:
			t.Fatalf("%s: LIST %s after the writer died: %v", p.endpoint, bucket, err)
		case len(keys) == 0:
			t.Fatalf("%s: LIST %s after the writer died: 200 with no key (silent wrong answer)", p.endpoint, bucket)
		case len(keys) != len(objs):
			short++
			return fmt.Errorf("%d keys", len(keys))
		}
		return nil
	})
	took := time.Since(died)
	t.Logf("%s: %s complete %v after the writer's death (%d answers 503, %d short listings before)", p.endpoint, bucket, took.Round(time.Millisecond), unavailable, short)
	return took
}

// survivorReads GETs deathSample of objs from p and checks their SHA-256.
func survivorReads(t *testing.T, p *procNode, bucket string, objs []testObject) {
	t.Helper()
	c := plainSDK(t, p.endpoint, p.access, p.secret)
	step := len(objs) / deathSample
	if err := forEach(deathSample, 8, func(i int) error {
		return getUntil(t.Context(), c, bucket, objs[i*step], 60*time.Second)
	}); err != nil {
		t.Fatal(err)
	}
}

// writerDeath runs the check on 4 processes: bucket "seen" (when
// asked for) is read on every other node before it is written, bucket
// "unseen" never is; each gets deathKeys keys through node 1, which is
// then stopped with sig right after its last acknowledgement (strong
// mode, the default: an acknowledged write is in a record a majority of
// members hold) or wait later; every other node must list every key and
// serve a sample with the right bytes.
func writerDeath(t *testing.T, alsoSeen bool, wait time.Duration, sig syscall.Signal) {
	nodes := startProcNetwork(t, 4)
	c1 := plainSDK(t, nodes[0].endpoint, nodes[0].access, nodes[0].secret)
	buckets := map[string][]testObject{"unseen": smallObjects("u", deathKeys, 2)}
	if alsoSeen {
		buckets["seen"] = smallObjects("s", deathKeys, 1)
	}
	for b := range buckets {
		if _, err := c1.CreateBucket(t.Context(), &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
			t.Fatal(err)
		}
	}
	if alsoSeen {
		for _, p := range nodes[1:] {
			eventually(t, 30*time.Second, "bucket seen on "+p.endpoint, func() error {
				_, err := p.listKeys(t, "seen")
				return err
			})
		}
	}
	start := time.Now()
	for b, objs := range buckets {
		putAll(t, c1, b, objs)
	}
	t.Logf("%d PUTs through node 1 in %v", len(buckets)*deathKeys, time.Since(start).Round(time.Millisecond))
	// Strong mode (the default): an acknowledged write is in a record a
	// majority holds, so the writer may die right after its last 200.
	if st, err := procStatus(nodes[0]); err == nil {
		t.Logf("at the last acknowledgement node 1 has %d unpublished buckets", st.UnpublishedBuckets)
	}
	if wait > 0 {
		time.Sleep(wait) // the promise under test: the writer stops this long after its last write
	}
	if err := nodes[0].cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	died := time.Now()
	nodes[0].cmd.Wait()
	var last time.Duration
	for _, p := range nodes[1:] {
		for b, objs := range buckets {
			last = survivorLists(t, p, b, objs, died)
		}
	}
	t.Logf("writer death to every survivor listing every key: %v", last.Round(time.Millisecond))
	for _, p := range nodes[1:] {
		for b, objs := range buckets {
			survivorReads(t, p, b, objs)
		}
	}
}

// TestWriterDeathKeepsIndex: node 1 is SIGKILLed right after its last
// acknowledgement; the bucket was never read elsewhere. About 3
// minutes on this machine (2000 PUTs, 600 remote GETs), hence the tag.
func TestWriterDeathKeepsIndex(t *testing.T) {
	if testing.Short() {
		t.Skip("4 d3sd processes and 2000 PUTs")
	}
	writerDeath(t, false, 0, syscall.SIGKILL)
}
