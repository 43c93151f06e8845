//go:build fault

package e2e

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Shape of TestPartitionStrong and TestPartitionEventual. D3S_LIN_PARTITION
// and D3S_LIN_QUIET (Go durations) override linHold and linQuiet.
const (
	linBucket       = "lin"
	linKeys         = 20
	linWorkers      = 5
	linWarmup       = 10 * time.Second
	linHold         = 60 * time.Second
	linQuiet        = 15 * time.Second
	linCheckTimeout = 5 * time.Minute
)

// TestPartitionStrong runs five d3sd processes with --consistency strong in
// network namespaces; five clients PUT, GET, DELETE and LIST linKeys keys
// through random nodes while nodes 4 and 5 are cut off from nodes 1–3 for
// linHold, then after the heal and a quiet period. It checks (a) that the
// minority refuses writes: every write through node 4 or 5 answers within
// writeAnswer (10 s) of its start, and those started more than writeAnswer
// after the cut (and answered before the heal) with 503; (b) that the
// whole history is linearizable key by key (no read misses a write
// acknowledged before it began, wherever either ran); (c) that within
// keysWait (15 s) of the heal every node lists the same keys with the same
// ETags and serves every key with the same bytes.
func TestPartitionStrong(t *testing.T) { runLinPartition(t, "strong") }

// TestPartitionEventual runs TestPartitionStrong's workload with
// --consistency eventual, for comparison: both sides stay available, so
// (a) does not apply and anomalies are expected; it logs their count
// without failing. (c), convergence after the heal, is checked as in
// strong mode.
func TestPartitionEventual(t *testing.T) { runLinPartition(t, "eventual") }

// linRun is one run of the partition workload.
type linRun struct {
	t       *testing.T
	mode    string
	lab     *netLab
	clients []*s3.Client
	h       *linHistory
	keys    []string
	seq     atomic.Uint64
	etags   sync.Map // hex MD5 (ETag) -> hex SHA-256 of every PUT's bytes

	mu        sync.Mutex
	cut, heal int64 // history times; 0 until they happen
	writes    []linWrite
	counts    map[string]int // "phase side kind outcome" -> operations
}

// linWrite is one write as the client saw it, for the minority checks.
type linWrite struct {
	kind      linKind
	node      int
	call, ret int64
	outcome   string
}

func runLinPartition(t *testing.T, mode string) {
	begin := time.Now()
	hold, quiet := linEnvDuration(t, "D3S_LIN_PARTITION", linHold), linEnvDuration(t, "D3S_LIN_QUIET", linQuiet)
	r := &linRun{t: t, mode: mode, lab: newNetLab(t), h: newLinHistory(), counts: map[string]int{}}
	for i := range linKeys {
		r.keys = append(r.keys, fmt.Sprintf("k%02d", i))
	}
	for i := range labNodes {
		r.lab.start(i, "--consistency", mode)
	}
	access, secret := readCredentials(t, filepath.Join(r.lab.dirs[0], "credentials"))
	for i := range labNodes {
		r.clients = append(r.clients, plainSDK(t, "http://"+net.JoinHostPort(r.lab.s3[i], fmt.Sprint(labS3Port)), access, secret))
	}
	r.setup()
	t.Logf("%s: namespaces, 5 nodes and bucket up in %v", mode, time.Since(begin))

	stop := r.workload()
	time.Sleep(linWarmup) // the workload runs undisturbed this long
	r.lab.setSide("br1", 3, 4)
	r.setMark(&r.cut, "cut")
	time.Sleep(hold) // the partition itself is what this waits out
	r.setMark(&r.heal, "heal")
	r.lab.setSide("br0", 3, 4)
	stop()
	t.Logf("partitioned for %v", time.Duration(r.h.Now()-r.cut).Round(time.Millisecond))

	took, err := r.converge(convergeWait)
	if err != nil {
		t.Fatalf("after the heal: %v", err)
	}
	t.Logf("heal: every node lists the same keys and serves the same bytes %v after the heal", took)
	if took > keysWait {
		t.Errorf("nodes agreed %v after the heal, want within %v", took, keysWait)
	}
	stop = r.workload()
	time.Sleep(quiet) // the quiet period: the workload without faults
	stop()
	quietEnd := r.h.Now()
	if took, err := r.converge(keysWait); err != nil {
		t.Errorf("after the quiet period: %v", err)
	} else {
		t.Logf("after the quiet period: nodes agree after %v", took-time.Duration(quietEnd-r.heal))
	}
	r.report()
	r.checkMinority()
	if mode == "strong" {
		if rep := checkLinearizable(t, r.h, linCheckTimeout); rep.Anomalies+len(rep.Stale) > 0 {
			t.Logf("anomalous and stale reads by phase, side and kind:%s", r.anomalyCounts(rep))
		}
	} else {
		rep := linAnalyse(r.h, linCheckTimeout, linVisualDir())
		t.Logf("linearizability (eventual, reported only): %v; by phase, side and kind:%s", rep, r.anomalyCounts(rep))
		if rep.First != "" {
			t.Logf("first anomaly: %s; visualisation: %s", rep.First, rep.Visual)
		}
	}
	t.Logf("whole test %v", time.Since(begin))
}

// linEnvDuration reads a duration from the environment, def when unset.
func linEnvDuration(t *testing.T, name string, def time.Duration) time.Duration {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		t.Fatalf("%s=%q: %v", name, v, err)
	}
	return d
}

// setMark sets *at to the history's time now and marks it.
func (r *linRun) setMark(at *int64, name string) {
	now := r.h.Now()
	r.mu.Lock()
	*at = now
	r.mu.Unlock()
	r.h.Mark(name, now)
}

// setup creates the bucket and waits until every node knows it and every
// node's status shows the others connected.
func (r *linRun) setup() {
	t := r.t
	eventually(t, labStartWait, "bucket created", func() error {
		ctx, cancel := context.WithTimeout(t.Context(), opTimeout)
		defer cancel()
		_, err := r.clients[0].CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(linBucket)})
		if isAPICode(err, "BucketAlreadyOwnedByYou") {
			return nil
		}
		return err
	})
	for i, c := range r.clients {
		eventually(t, labStartWait, fmt.Sprintf("bucket on node %d", i+1), func() error {
			_, err := c.HeadBucket(t.Context(), &s3.HeadBucketInput{Bucket: aws.String(linBucket)})
			return err
		})
	}
	if _, err := r.lab.waitMembers(t.Context(), time.Now(), labStartWait); err != nil {
		t.Fatal(err)
	}
}

// anomalyCounts renders the anomalous and the stale reads of rep
// counted by phase, side and kind.
func (r *linRun) anomalyCounts(rep linReport) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	counts := map[string][2]int{}
	add := func(op porcupine.Operation, i int) {
		in := op.Input.(linInput)
		k := fmt.Sprintf("%-6s %-8s %-4s", r.phase(op.Call), linSide(in.node), in.kind)
		c := counts[k]
		c[i]++
		counts[k] = c
	}
	for _, a := range rep.Found {
		add(a.op, 0)
	}
	for _, op := range rep.Stale {
		add(op, 1)
	}
	b := strings.Builder{}
	b.WriteString("\n  phase  side     kind  anomalies  stale")
	for _, k := range slices.Sorted(maps.Keys(counts)) {
		fmt.Fprintf(&b, "\n  %s  %9d  %5d", k, counts[k][0], counts[k][1])
	}
	return b.String()
}

// converge waits until every node lists the same keys with the same ETags
// and serves every key with the same bytes (or NoSuchKey), recording what
// it reads in the history, and returns how long after the heal they
// agreed; after within it returns what still differs.
func (r *linRun) converge(within time.Duration) (time.Duration, error) {
	start := time.Now()
	for {
		views, err := r.views()
		if err == nil && linAllEqual(views) {
			return time.Duration(r.h.Now() - r.heal), nil
		}
		if time.Since(start) > within {
			if err == nil {
				for i := range views {
					views[i] = fmt.Sprintf("node %d: %s", i+1, views[i])
				}
				err = fmt.Errorf("nodes disagree:\n%s", strings.Join(views, "\n"))
			}
			return 0, fmt.Errorf("not agreed within %v: %w", within, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// views reads every node's listing and every key through every node,
// each node by its own client of the history (linWorkers+node), and
// returns per node "list …; get …" for the keys it has.
func (r *linRun) views() ([]string, error) {
	views := make([]string, labNodes)
	errs := make([]error, labNodes)
	var wg sync.WaitGroup
	for i := range labNodes {
		wg.Go(func() { views[i], errs[i] = r.view(i) })
	}
	wg.Wait()
	return views, errors.Join(errs...)
}

// view is one node's part of views.
func (r *linRun) view(i int) (string, error) {
	client := linWorkers + i
	ctx, cancel := context.WithTimeout(r.t.Context(), opTimeout)
	call := r.h.Now()
	seen, err := r.listOnce(ctx, i)
	ret := r.h.Now()
	cancel()
	if err != nil {
		return "", fmt.Errorf("node %d: LIST: %w", i+1, err)
	}
	r.h.List(client, i, r.keys, call, ret, seen)
	read := map[string]string{}
	for _, key := range r.keys {
		ctx, cancel := context.WithTimeout(r.t.Context(), opTimeout)
		call := r.h.Now()
		sum, err := getSum(ctx, r.clients[i], linBucket, key)
		ret := r.h.Now()
		cancel()
		switch {
		case err == nil:
			r.h.Get(client, i, key, call, ret, sum)
			read[key] = sum
		case isAPICode(err, "NoSuchKey"):
			r.h.Get(client, i, key, call, ret, linAbsent)
		default:
			return "", fmt.Errorf("node %d: %w", i+1, err)
		}
	}
	return fmt.Sprintf("list %s; get %s", linShortView(seen), linShortView(read)), nil
}

// linShortView renders key -> value sorted, with short values.
func linShortView(m map[string]string) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, k+"="+linShort(m[k]))
	}
	return "{" + strings.Join(parts, " ") + "}"
}

func linAllEqual(views []string) bool {
	for _, v := range views {
		if v != views[0] {
			return false
		}
	}
	return true
}

// report logs the operations counted by phase, side, kind and outcome.
func (r *linRun) report() {
	r.mu.Lock()
	defer r.mu.Unlock()
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(r.counts)) {
		fmt.Fprintf(&b, "\n  %s  %d", k, r.counts[k])
	}
	ops, _ := r.h.snapshot()
	r.t.Logf("%s: %d operations recorded; by phase (of the cut), side, kind and outcome:%s", r.mode, len(ops), b.String())
}

// checkMinority checks, in strong mode, that the minority refused writes
// as promised, and logs how long after the cut it first did; in eventual
// mode it only logs what the minority answered.
func (r *linRun) checkMinority() {
	t := r.t
	r.mu.Lock()
	writes, cut, heal := slices.Clone(r.writes), r.cut, r.heal
	r.mu.Unlock()
	limit := int64(writeAnswer)
	first := int64(-1)
	var late, accepted, majorityAcked int
	var wrong []string
	for _, w := range writes {
		if w.call < cut || w.call >= heal {
			continue
		}
		if linSide(w.node) == "majority" {
			if w.outcome == "200" && w.call >= cut+limit {
				majorityAcked++
			}
			continue
		}
		if w.outcome == "503" && (first < 0 || w.ret-cut < first) {
			first = w.ret - cut
		}
		if r.mode != "strong" {
			continue
		}
		if w.ret-w.call > limit && w.call < heal-limit {
			late++
			wrong = append(wrong, fmt.Sprintf("%s through node %d at cut+%.3fs answered %s after %.3fs, want within %v",
				w.kind, w.node+1, float64(w.call-cut)/1e9, w.outcome, float64(w.ret-w.call)/1e9, writeAnswer))
		}
		if w.call >= cut+limit && w.ret < heal && w.outcome != "503" {
			accepted++
			wrong = append(wrong, fmt.Sprintf("%s through node %d at cut+%.3fs answered %s, want 503", w.kind, w.node+1, float64(w.call-cut)/1e9, w.outcome))
		}
	}
	if first < 0 {
		t.Logf("%s: the minority never answered a write 503", r.mode)
	} else {
		t.Logf("%s: first 503 to a write through the minority %.3fs after the cut", r.mode, float64(first)/1e9)
	}
	t.Logf("%s: during the partition, %d writes acknowledged by the majority after cut+%v", r.mode, majorityAcked, writeAnswer)
	if r.mode != "strong" {
		return
	}
	if first < 0 {
		t.Errorf("the minority never refused a write with 503")
	}
	if majorityAcked == 0 {
		t.Errorf("the majority side acknowledged no write during the partition")
	}
	if late+accepted > 0 {
		t.Errorf("minority: %d writes answered after %v, %d not refused; the first %d:\n%s",
			late, writeAnswer, accepted, min(len(wrong), 10), strings.Join(wrong[:min(len(wrong), 10)], "\n"))
	}
}
