package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/d3s/d3s/node"
)

// replBench is a cluster for the replication benchmarks, with one
// benchmark S3 client per node and one bucket every node knows.
type replBench struct {
	c       *cluster
	clients []*s3.Client
	bucket  string
}

// startReplBench starts n nodes configured by edit and creates the bucket
// "repl" on all of them.
func startReplBench(b *testing.B, n int, edit func(*node.Config)) *replBench {
	b.Helper()
	rb := &replBench{c: startClusterWith(b, n, edit), bucket: "repl"}
	rb.c.createEverywhere(b, rb.bucket)
	for _, tn := range rb.c.nodes {
		rb.clients = append(rb.clients, benchClient(b, tn))
	}
	return rb
}

// put PUTs body as key through node i's S3 client.
func (rb *replBench) put(b *testing.B, i int, key string, body []byte) {
	b.Helper()
	ctx, cancel := context.WithTimeout(b.Context(), 5*time.Minute)
	defer cancel()
	_, err := rb.clients[i].PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(rb.bucket), Key: aws.String(key),
		Body: bytes.NewReader(body), ContentLength: aws.Int64(int64(len(body))),
	})
	if err != nil {
		b.Fatalf("PUT %s (%d bytes) on node %d: %v", key, len(body), i+1, err)
	}
}

// waitReplicated waits until node i has no replication left in its
// queue: every holder it asked answered that its copy is durable.
func (rb *replBench) waitReplicated(b *testing.B, i int) {
	b.Helper()
	eventually(b, 5*time.Minute, fmt.Sprintf("node %d replication queue empty", i+1), func() error {
		p, err := rb.c.nodes[i].PendingReplications()
		if err == nil && p != 0 {
			err = fmt.Errorf("%d pending", p)
		}
		return err
	})
}

// holderSet returns the indices of the nodes that hold key as holders.
// Each node first answers a HEAD for key (which revalidates its
// catalogue), so that Holds is not answering from a catalogue that has
// not seen key yet; key must have a single version.
func (rb *replBench) holderSet(b *testing.B, key string) []int {
	b.Helper()
	var set []int
	for i, tn := range rb.c.nodes {
		eventually(b, 30*time.Second, fmt.Sprintf("node %d knows %s", i+1, key), func() error {
			if r := tn.do(b, "HEAD", "/"+rb.bucket+"/"+key, nil); r.status != 200 {
				return fmt.Errorf("HEAD %d", r.status)
			}
			return nil
		})
		ok, err := tn.Holds(b.Context(), tn.access, rb.bucket, key)
		if err != nil {
			b.Fatalf("Holds %s on node %d: %v", key, i+1, err)
		}
		if ok {
			set = append(set, i)
		}
	}
	return set
}

// stamp makes body's content unique to tag (its first bytes, so a new
// object version each time, never deduplicated) and returns the hex
// SHA-256 of the result.
func stamp(body []byte, tag string) string {
	copy(body, fmt.Sprintf("%-64s", tag))
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:])
}

// randomBody returns size random bytes, so that nothing along the way
// (compression, deduplication of pieces) makes the transfer cheaper.
func randomBody(b *testing.B, size int) []byte {
	b.Helper()
	buf := make([]byte, size)
	if _, err := rand.Read(buf); err != nil {
		b.Fatal(err)
	}
	return buf
}

// timedGet GETs key through c into buf and returns the bytes read, the
// time from sending the request to the first body byte, and to the
// last. It fails if the object is larger than buf.
func timedGet(ctx context.Context, c *s3.Client, bucket, key string, buf []byte) (n int, ttfb, total time.Duration, err error) {
	start := time.Now()
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return 0, 0, 0, fmt.Errorf("GET %s: %w", key, err)
	}
	defer out.Body.Close()
	for {
		// 1 MiB reads, as download tools do (see BenchmarkGet256MiB).
		m, rerr := out.Body.Read(buf[n:min(n+1<<20, len(buf))])
		if m > 0 && ttfb == 0 {
			ttfb = time.Since(start)
		}
		n += m
		if rerr == io.EOF {
			return n, ttfb, time.Since(start), nil
		}
		if rerr != nil {
			return n, ttfb, 0, fmt.Errorf("GET %s: read after %d bytes: %w", key, n, rerr)
		}
		if n == len(buf) {
			var one [1]byte
			if extra, _ := io.ReadFull(out.Body, one[:]); extra > 0 {
				return n, ttfb, 0, fmt.Errorf("GET %s: more than %d bytes", key, len(buf))
			}
			return n, ttfb, time.Since(start), nil
		}
	}
}

// processCPU is the CPU time (user + system) this process has used: all
// the in-process nodes and clients together.
func processCPU(b *testing.B) time.Duration {
	b.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatalf("getrusage: %v", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// medianOf returns the median of xs (the mean of the middle two for an
// even count); xs is sorted in place.
func medianOf(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	slices.Sort(xs)
	m := len(xs) / 2
	if len(xs)%2 == 1 {
		return xs[m]
	}
	return (xs[m-1] + xs[m]) / 2
}

// millis converts d to fractional milliseconds, for metrics.
func millis(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// downloadLog is a slog handler that keeps, from a node's logs, the
// swarm's debug record of each completed download ("downloaded", with
// the useful bytes each peer sent) and drops everything else. It shows
// from how many holders a remote read actually took bytes.
type downloadLog struct {
	mu   sync.Mutex
	from map[string]map[string]int64 // by object ID
}

func newDownloadLog() *downloadLog {
	return &downloadLog{from: map[string]map[string]int64{}}
}

func (d *downloadLog) Enabled(context.Context, slog.Level) bool { return true }
func (d *downloadLog) WithAttrs([]slog.Attr) slog.Handler       { return d }
func (d *downloadLog) WithGroup(string) slog.Handler            { return d }

func (d *downloadLog) Handle(_ context.Context, r slog.Record) error {
	if r.Message != "downloaded" {
		return nil
	}
	var id string
	var from map[string]int64
	r.Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case "id":
			id = a.Value.String()
		case "from":
			from, _ = a.Value.Any().(map[string]int64)
		}
		return true
	})
	if id != "" && from != nil {
		d.mu.Lock()
		d.from[id] = from
		d.mu.Unlock()
	}
	return nil
}

// take returns the downloads completed since the last call (useful
// bytes by peer name, one map per object) and forgets them.
func (d *downloadLog) take() []map[string]int64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []map[string]int64
	for id, from := range d.from {
		out = append(out, from)
		delete(d.from, id)
	}
	return out
}
