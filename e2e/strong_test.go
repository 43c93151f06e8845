package e2e

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Issue 11, read-after-write: a write acknowledged by one node is seen by
// the next read on any other node, with no wait.

const rawBucket = "raw"

// rawTrialsDefault is the number of trials TestStrongReadAfterWrite runs
// unless D3S_RAW_TRIALS says otherwise. Each trial is 3 writes (a fresh
// PUT, an overwrite, a DELETE) and 9 reads: in eventual mode about 80 ms
// on the two cores idle (17 ms a write, 3 ms a read), 515 ms at a load
// average of 20 (103 ms a write, 23 ms a read). The 1 000 (80 s
// idle, before strong's quorum round trips) does not fit the default
// suite's budget of about a minute; 300 is about 25 s of trials idle,
// plus 6 s to start the processes. D3S_RAW_TRIALS=1000 runs the issue's
// figure.
const rawTrialsDefault = 300

// rawKind is what a trial wrote before it read.
type rawKind int

const (
	kindPut       rawKind = iota // a fresh key
	kindOverwrite                // new bytes on an existing key
	kindDelete                   // the key deleted
)

var rawKindNames = [...]string{"put", "overwrite", "delete"}

// rawCell counts one (kind, read) pair.
type rawCell struct {
	trials      int
	misses      int             // first read did not see the write
	stale       int             // of misses: an older version (or present after DELETE)
	unavailable int             // still 503 after unavailableWithin
	retries503  int             // 503 answers retried
	late        []time.Duration // eventual: ack to visible, for misses seen within rawPollFor
	never       int             // eventual: not visible within rawPollFor
}

// rawStats are a run's counts, by kind then read.
type rawStats struct {
	cells       [3][3]rawCell
	writes      int
	write503    int
	writeTime   time.Duration
	readTime    time.Duration
	reads       int
	wrongBytes  int
	failReports int
}

// rawPollFor and rawPollStep: in eventual mode a miss is read again every
// rawPollStep until it shows, for at most rawPollFor (the figures the
// issue quotes for today's behaviour).
const (
	rawPollFor  = 2 * time.Second
	rawPollStep = 100 * time.Millisecond
)

// rawRun drives the trials on one network.
type rawRun struct {
	*consNet
	rnd   *rand.Rand
	poll  bool // eventual: read a miss again until it shows
	stats rawStats
	// written holds every version acknowledged per key, oldest first, so
	// a miss can be told apart from bytes never written.
	written map[string][]version
}

// rawTrials is D3S_RAW_TRIALS, else def.
func rawTrials(t *testing.T, def int) int {
	if s := os.Getenv("D3S_RAW_TRIALS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			t.Fatalf("D3S_RAW_TRIALS=%q: want a positive number", s)
		}
		return n
	}
	return def
}

// TestStrongReadAfterWrite: 5 d3sd processes in strong mode; each trial
// PUTs a fresh key (1–8 KiB) on a random node, then at once GETs, HEADs
// and lists it on another random node; overwrites it on a random node and
// reads it elsewhere; deletes it on a random node and reads it elsewhere.
// Every read must show the acknowledged state: 0 misses. A 503 is retried
// (counted apart) for at most unavailableWithin.
func TestStrongReadAfterWrite(t *testing.T) {
	if testing.Short() {
		t.Skip("5 d3sd processes")
	}
	r := newRawRun(t, strongMode(t), false)
	r.run(rawTrials(t, rawTrialsDefault))
	r.report()
	for k := range r.stats.cells {
		for op, c := range r.stats.cells[k] {
			if c.misses > 0 || c.unavailable > 0 {
				t.Errorf("%s: %s then %s elsewhere: %d of %d missed, %d unavailable past %v", r.mode, rawKindNames[k], readOp(op), c.misses, c.trials, c.unavailable, unavailableWithin)
			}
		}
	}
}

func newRawRun(t *testing.T, mode string, poll bool) *rawRun {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	return &rawRun{
		consNet: startConsNet(t, 5, mode, rawBucket),
		rnd:     rand.New(rand.NewPCG(seed, 11)),
		poll:    poll,
		written: map[string][]version{},
	}
}

// run runs n trials.
func (r *rawRun) run(n int) {
	start := time.Now()
	for i := range n {
		key := fmt.Sprintf("k/%05d-%08x", i, r.rnd.Uint32())
		r.trial(i, kindPut, key)
		r.trial(i, kindOverwrite, key)
		r.trial(i, kindDelete, key)
	}
	r.t.Logf("%s: %d trials in %v", r.mode, n, time.Since(start).Round(time.Millisecond))
}

// trial writes (kind) key on a random node, then reads it with the three
// reads, in an order that turns with i, on another random node.
func (r *rawRun) trial(i int, kind rawKind, key string) {
	w := r.rnd.IntN(len(r.clients))
	reader := (w + 1 + r.rnd.IntN(len(r.clients)-1)) % len(r.clients)
	want := r.write(w, kind, key)
	acked := time.Now()
	for j := range 3 {
		op := readOp((i + int(kind) + j) % 3)
		r.read(kind, op, reader, key, want, acked)
	}
}

// write does kind on key through node w and returns the version it
// leaves; a 503 is retried, anything else ends the test.
func (r *rawRun) write(w int, kind rawKind, key string) version {
	c := r.clients[w]
	var want version
	var op func() error
	if kind == kindDelete {
		op = func() error {
			_, err := c.DeleteObject(r.t.Context(), &s3.DeleteObjectInput{Bucket: aws.String(rawBucket), Key: aws.String(key)})
			return err
		}
	} else {
		body := make([]byte, 1024+r.rnd.IntN(7*1024+1))
		for i := range body {
			body[i] = byte(r.rnd.Uint32())
		}
		sum := md5.Sum(body)
		want = version{etag: hex.EncodeToString(sum[:]), size: int64(len(body)), sum: sha256Hex(body)}
		op = func() error {
			out, err := c.PutObject(r.t.Context(), &s3.PutObjectInput{Bucket: aws.String(rawBucket), Key: aws.String(key), Body: bytes.NewReader(body)})
			if err == nil && unquote(out.ETag) != want.etag {
				r.t.Fatalf("PUT %s on node %d: ETag %s, want the MD5 %s", key, w+1, unquote(out.ETag), want.etag)
			}
			return err
		}
	}
	start := time.Now()
	n503, err := retry503(r.t.Context(), op)
	r.stats.writeTime += time.Since(start)
	r.stats.writes++
	r.stats.write503 += n503
	if err != nil {
		r.t.Fatalf("%s %s on node %d (%d × 503 before): %v", rawKindNames[kind], key, w+1, n503, err)
	}
	if !want.absent() {
		r.written[key] = append(r.written[key], want)
	}
	return want
}

// read reads key with op on node n once and counts whether it saw want;
// in eventual mode it reads a miss again until it does, for at most
// rawPollFor after the acknowledgement.
func (r *rawRun) read(kind rawKind, op readOp, n int, key string, want version, acked time.Time) {
	cell := &r.stats.cells[kind][op]
	cell.trials++
	got, ok := r.readOnce(cell, op, n, key)
	if !ok {
		return
	}
	if sees(op, got, want) {
		return
	}
	cell.misses++
	if !got.absent() {
		cell.stale++
	}
	if r.stats.failReports < 10 && !r.poll {
		r.stats.failReports++
		r.t.Errorf("%s on node %d right after %s of %s acknowledged: %v, want %v", op, n+1, rawKindNames[kind], key, got, want)
	}
	if !r.poll {
		return
	}
	for time.Since(acked) < rawPollFor {
		time.Sleep(rawPollStep) // the client's step between two asks
		if got, ok = r.readOnce(cell, op, n, key); ok && sees(op, got, want) {
			cell.late = append(cell.late, time.Since(acked))
			return
		}
	}
	cell.never++
}

// readOnce reads key with op on node n, retrying 503s; it reports false
// (and counts) when the node stayed unavailable. Bytes never written for
// key, or any other error, fail the test.
func (r *rawRun) readOnce(cell *rawCell, op readOp, n int, key string) (version, bool) {
	var got version
	start := time.Now()
	n503, err := retry503(r.t.Context(), func() error {
		var err error
		got, err = readVersion(r.t.Context(), r.clients[n], op, rawBucket, key)
		return err
	})
	r.stats.readTime += time.Since(start)
	r.stats.reads++
	cell.retries503 += n503
	switch {
	case httpStatus(err) == 503:
		cell.unavailable++
		return got, false
	case err != nil:
		r.t.Fatalf("%s %s on node %d: %v", op, key, n+1, err)
	case !got.absent() && !slices.ContainsFunc(r.written[key], func(v version) bool { return sees(op, got, v) }):
		r.stats.wrongBytes++
		r.t.Errorf("%s %s on node %d: %v, never written (written: %v)", op, key, n+1, got, r.written[key])
		return got, false
	}
	return got, true
}

// report logs the counts per kind and read.
func (r *rawRun) report() {
	s := &r.stats
	var b strings.Builder
	fmt.Fprintf(&b, "--consistency %s, 5 processes: write then read on another node, no wait\n", r.mode)
	fmt.Fprintf(&b, "%-10s %-5s %7s %7s %7s %7s %7s", "kind", "read", "trials", "at once", "misses", "stale", "503s")
	if r.poll {
		fmt.Fprintf(&b, " %8s %8s %8s %8s %8s", "≤100ms", "≤500ms", "≤1s", "≤2s", "never")
		fmt.Fprintf(&b, " %9s", "p50 late")
	}
	b.WriteString("\n")
	for k := range s.cells {
		for op, c := range s.cells[k] {
			fmt.Fprintf(&b, "%-10s %-5s %7d %7d %7d %7d %7d", rawKindNames[k], readOp(op), c.trials, c.trials-c.misses-c.unavailable, c.misses, c.stale, c.retries503)
			if r.poll {
				for _, lim := range []time.Duration{100 * time.Millisecond, 500 * time.Millisecond, time.Second, 2 * time.Second} {
					fmt.Fprintf(&b, " %8d", countWithin(c.late, lim))
				}
				fmt.Fprintf(&b, " %8d %9v", c.never, percentile(c.late, 50).Round(time.Millisecond))
			}
			b.WriteString("\n")
		}
	}
	fmt.Fprintf(&b, "writes %d (mean %v, %d × 503 retried), reads %d (mean %v), wrong bytes %d",
		s.writes, meanOf(s.writeTime, s.writes), s.write503, s.reads, meanOf(s.readTime, s.reads), s.wrongBytes)
	r.t.Log(b.String())
}

func countWithin(ds []time.Duration, lim time.Duration) int {
	n := 0
	for _, d := range ds {
		if d <= lim {
			n++
		}
	}
	return n
}

// percentile is the p-th percentile of ds (nearest rank), 0 for none.
func percentile(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := (len(s)*p + 99) / 100
	return s[max(i-1, 0)]
}

func meanOf(total time.Duration, n int) time.Duration {
	if n == 0 {
		return 0
	}
	return (total / time.Duration(n)).Round(10 * time.Microsecond)
}
