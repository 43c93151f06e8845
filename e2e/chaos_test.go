//go:build fault && chaos

package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// Shape of TestChaos. D3S_CHAOS_DURATION overrides chaosDefaultRun.
const (
	chaosBucket      = "chaos"
	chaosStable      = 40 // keys written once before the chaos, never changed
	chaosWorkers     = 4
	chaosKeys        = 25 // volatile keys per worker
	chaosDefaultRun  = 5 * time.Minute
	chaosOpTimeout   = 30 * time.Second
	chaosQuietWait   = 90 * time.Second // every node agrees within this at a quiet point
	chaosFaultMinGap = 15 * time.Second
)

// TestChaos runs five d3sd processes in network namespaces while four
// clients PUT, GET, LIST, DELETE and upload multipart objects through
// random nodes, and a driver kills (SIGKILL), restarts (SIGTERM) and
// partitions nodes, one fault at a time. After each fault is undone the
// clients pause (a quiet point) and every node must list the same keys,
// the ones the acknowledged operations leave; at the end every key is
// read from every node. Throughout, a GET may fail (503, connection
// refused) but must never return bytes that were not written for its key,
// and a LIST that answers 200 must include every stable key: no wrong
// bytes, no silent empty listing, no false 404 for a key that exists.
//
//	go test -tags 'fault chaos' ./e2e -run TestChaos -v -timeout 30m
func TestChaos(t *testing.T) {
	run := chaosDefaultRun
	if s := os.Getenv("D3S_CHAOS_DURATION"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			t.Fatalf("D3S_CHAOS_DURATION: %v", err)
		}
		run = d
	}
	l := newNetLab(t)
	c := &chaos{t: t, l: l, procs: make([]*os.Process, labNodes), hist: newChaosHistory()}
	for i := range labNodes {
		c.start(i)
	}
	access, secret := readCredentials(t, filepath.Join(l.dirs[0], "credentials"))
	for i := range labNodes {
		c.clients = append(c.clients, plainSDK(t, "http://"+net.JoinHostPort(l.s3[i], fmt.Sprint(labS3Port)), access, secret))
	}
	c.setup()
	ctx, cancel := context.WithTimeout(t.Context(), run)
	defer cancel()
	var wg sync.WaitGroup
	for w := range chaosWorkers {
		wg.Go(func() { c.worker(ctx, w) })
	}
	c.drive(ctx)
	wg.Wait()
	c.undoAll()
	c.quiet("end")
	c.readEverything()
	t.Logf("chaos for %v: %s", run, c.hist.summary())
	for _, v := range c.hist.violations {
		t.Error(v)
	}
}

// chaos is the state of one TestChaos run.
type chaos struct {
	t       *testing.T
	l       *netLab
	clients []*s3.Client
	hist    *chaosHistory
	gate    sync.RWMutex // clients hold it shared; a quiet point exclusively

	mu     sync.Mutex
	procs  []*os.Process // nil: node down
	faults map[string]int
}

// start runs node i and remembers its process.
func (c *chaos) start(i int) {
	c.l.start(i)
	c.mu.Lock()
	c.procs[i] = c.l.procs[len(c.l.procs)-1].Process
	c.mu.Unlock()
}

// stop signals node i and waits for it to exit.
func (c *chaos) stop(i int, sig syscall.Signal) {
	c.mu.Lock()
	p := c.procs[i]
	c.procs[i] = nil
	c.mu.Unlock()
	if p == nil {
		return
	}
	p.Signal(sig)
	for _, cmd := range c.l.procs {
		if cmd.Process == p {
			cmd.Wait()
		}
	}
}

// setup creates the bucket and the stable keys and waits until every node
// lists them.
func (c *chaos) setup() {
	t := c.t
	if _, err := c.clients[0].CreateBucket(t.Context(), &s3.CreateBucketInput{Bucket: aws.String(chaosBucket)}); err != nil {
		t.Fatal(err)
	}
	for i := range chaosStable {
		o := chaosObject(fmt.Sprintf("stable/%03d", i), uint64(i))
		err := retry(t.Context(), func(ctx context.Context) error {
			return putObject(ctx, c.clients[i%labNodes], chaosBucket, o)
		})
		if err != nil {
			t.Fatal(err)
		}
		c.hist.put(o, i%labNodes, nil)
	}
	c.quiet("setup")
}

// retry runs f until it succeeds, for at most labStartWait.
func retry(ctx context.Context, f func(context.Context) error) error {
	deadline := time.Now().Add(labStartWait)
	for {
		octx, cancel := context.WithTimeout(ctx, chaosOpTimeout)
		err := f(octx)
		cancel()
		if err == nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// chaosObject is a version of key: 1 KiB to 2 MiB, log-uniform.
func chaosObject(key string, seed uint64) testObject {
	r := rand.New(rand.NewPCG(seed, 0xc4a05))
	size := int(math.Exp2(10 + r.Float64()*11))
	o := testObject{key: key, size: size, seed: seed}
	o.sum = sha256Hex(o.data())
	return o
}

// worker runs random operations on its own keys (so that each key's
// operations are sequential and its history exact) until ctx ends.
func (c *chaos) worker(ctx context.Context, w int) {
	r := rand.New(rand.NewPCG(uint64(w), 0xc4a05))
	seed := uint64(w+1) << 40
	for ctx.Err() == nil {
		seed++
		key := fmt.Sprintf("w%d/%02d", w, r.IntN(chaosKeys))
		node := r.IntN(labNodes)
		c.gate.RLock()
		switch p := r.IntN(100); {
		case p < 35:
			c.opPut(ctx, node, chaosObject(key, seed))
		case p < 50:
			c.opGet(ctx, node, key)
		case p < 60:
			c.opGet(ctx, node, fmt.Sprintf("stable/%03d", r.IntN(chaosStable)))
		case p < 75:
			c.opList(ctx, node)
		case p < 92:
			c.opDelete(ctx, node, key)
		default:
			c.opMultipart(ctx, r, key, seed)
		}
		c.gate.RUnlock()
	}
}

// opPut PUTs o through node.
func (c *chaos) opPut(ctx context.Context, node int, o testObject) {
	c.hist.attempt(o)
	octx, cancel := context.WithTimeout(ctx, chaosOpTimeout)
	defer cancel()
	err := putObject(octx, c.clients[node], chaosBucket, o)
	c.hist.put(o, node, err)
	c.hist.count("put", err)
}

// opDelete DELETEs key through node.
func (c *chaos) opDelete(ctx context.Context, node int, key string) {
	octx, cancel := context.WithTimeout(ctx, chaosOpTimeout)
	defer cancel()
	_, err := c.clients[node].DeleteObject(octx, &s3.DeleteObjectInput{Bucket: aws.String(chaosBucket), Key: aws.String(key)})
	c.hist.del(key, node, err)
	c.hist.count("delete", err)
}

// opGet GETs key through node and checks the bytes against every version
// ever written for it; a stable key must not be missing.
func (c *chaos) opGet(ctx context.Context, node int, key string) {
	octx, cancel := context.WithTimeout(ctx, chaosOpTimeout)
	defer cancel()
	sum, err := getSum(octx, c.clients[node], chaosBucket, key)
	c.hist.count("get", err)
	switch {
	case err == nil && !c.hist.written(key, sum):
		c.hist.violate("node %d: GET %s returned bytes never written for it (SHA-256 %s)", node+1, key, sum)
	case isCode(err, "NoSuchKey") && c.hist.stable(key):
		c.hist.violate("node %d: GET %s: NoSuchKey for a key that exists (%v)", node+1, key, err)
	}
}

// opList lists the bucket through node; a listing must hold every stable
// key and only keys that were written.
func (c *chaos) opList(ctx context.Context, node int) {
	octx, cancel := context.WithTimeout(ctx, chaosOpTimeout)
	defer cancel()
	keys, err := listBucket(octx, c.clients[node], chaosBucket)
	c.hist.count("list", err)
	if err != nil {
		return
	}
	listed := map[string]bool{}
	for _, k := range keys {
		listed[k] = true
		if !c.hist.everPut(k) {
			c.hist.violate("node %d: LIST shows %s, never written", node+1, k)
		}
	}
	for i := range chaosStable {
		if k := fmt.Sprintf("stable/%03d", i); !listed[k] {
			c.hist.violate("node %d: LIST (200, %d keys) misses stable key %s", node+1, len(keys), k)
			return
		}
	}
}

// opMultipart uploads key in two parts (5 MiB and the rest), each part
// and the completion through a random node.
func (c *chaos) opMultipart(ctx context.Context, r *rand.Rand, key string, seed uint64) {
	o := testObject{key: key, size: 5<<20 + 1<<10 + r.IntN(1<<20), seed: seed}
	data := o.data()
	o.sum = sha256Hex(data)
	c.hist.attempt(o)
	octx, cancel := context.WithTimeout(ctx, 3*chaosOpTimeout)
	defer cancel()
	err := multipartThrough(octx, c.clients, r, key, data)
	c.hist.put(o, -1, err)
	c.hist.count("multipart", err)
}

// multipartThrough creates, uploads and completes a two-part upload,
// each step on a random node of clients.
func multipartThrough(ctx context.Context, clients []*s3.Client, r *rand.Rand, key string, data []byte) error {
	pick := func() *s3.Client { return clients[r.IntN(len(clients))] }
	up, err := pick().CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(chaosBucket), Key: aws.String(key)})
	if err != nil {
		return err
	}
	var done []s3types.CompletedPart
	for i, part := range [][]byte{data[:5<<20], data[5<<20:]} {
		out, err := pick().UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(chaosBucket), Key: aws.String(key),
			UploadId: up.UploadId, PartNumber: aws.Int32(int32(i + 1)), Body: bytes.NewReader(part)})
		if err != nil {
			return err
		}
		done = append(done, s3types.CompletedPart{ETag: out.ETag, PartNumber: aws.Int32(int32(i + 1))})
	}
	_, err = pick().CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String(chaosBucket),
		Key: aws.String(key), UploadId: up.UploadId, MultipartUpload: &s3types.CompletedMultipartUpload{Parts: done}})
	return err
}

// isCode reports whether err is an S3 error with code.
func isCode(err error, code string) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorCode() == code
}
