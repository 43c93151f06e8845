//go:build long

package e2e

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Shape of TestScaleTwentyNodes; D3S_SCALE20_KEYS overrides the key count.
const (
	net20Nodes     = 20
	net20Writers   = 4 // nodes the keys are written through
	net20Clients   = 16
	net20Keys      = 100_000
	net20Bucket    = "twenty"
	net20Sample    = 500 // keys read from every survivor after each kill
	net20Settle    = 60 * time.Second
	net20Repaired  = 10 * time.Minute
	net20Listed    = 5 * time.Minute
	net20StartWait = 60 * time.Second // a process start on a busy machine
)

// TestScaleTwentyNodes is issue 10's scale check: 20 d3sd processes form
// one network from one join token; keys written through 4 of them list
// identically on all 20; two nodes killed at once (R−1) leave every
// object readable from every survivor; three more killed one at a time,
// each after repair restored R copies, leave every object readable; then
// three killed at once (more than R−1): every read either returns the
// right bytes or fails with an error, counted separately.
//
// "Every object readable from every survivor" is checked as every object
// read from one survivor (round robin) and net20Sample random objects read
// from every survivor: reading all 100 000 from each of 18 survivors would
// be 1.8 million GETs.
func TestScaleTwentyNodes(t *testing.T) {
	keys := net20Keys
	if s := os.Getenv("D3S_SCALE20_KEYS"); s != "" {
		var err error
		if keys, err = strconv.Atoi(s); err != nil {
			t.Fatalf("D3S_SCALE20_KEYS: %v", err)
		}
	}
	begin := time.Now()
	ns := startProcNetwork(t, net20Nodes, "--repair-interval", "10s")
	t.Logf("20 processes started and fully connected in %v", time.Since(begin).Round(time.Millisecond))
	clients := map[*procNode]*s3.Client{}
	for _, p := range ns {
		clients[p] = plainSDK(t, p.endpoint, p.access, p.secret)
	}
	c0 := clients[ns[0]]
	if _, err := c0.CreateBucket(t.Context(), &s3.CreateBucketInput{Bucket: aws.String(net20Bucket)}); err != nil {
		t.Fatal(err)
	}
	for i := range net20Writers { // another node's view of a new bucket lags (issue 11)
		eventually(t, net20StartWait, fmt.Sprintf("node %d knows the bucket", i+1), func() error {
			_, err := clients[ns[i]].HeadBucket(t.Context(), &s3.HeadBucketInput{Bucket: aws.String(net20Bucket)})
			return err
		})
	}
	objs := net20Objects(keys)
	start := time.Now()
	err := forEach(len(objs), net20Clients, func(i int) error {
		return putObject(t.Context(), clients[ns[i%net20Writers]], net20Bucket, objs[i])
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d PUTs through %d nodes in %v (%.0f/s)", keys, net20Writers, time.Since(start).Round(time.Millisecond),
		float64(keys)/time.Since(start).Seconds())
	start = time.Now()
	for i, n := range ns {
		eventually(t, net20Listed, fmt.Sprintf("node %d lists %d keys", i+1, keys), func() error {
			return listsExactly(t.Context(), clients[n], objs)
		})
	}
	t.Logf("all 20 list exactly the %d keys %v after the last PUT", keys, time.Since(start).Round(time.Millisecond))
	logRSS(t, ns)

	alive := slices.Clone(ns)
	r := rand.New(rand.NewPCG(20, 10))
	alive = killSome(t, r, alive, 2, "R-1 at once")
	killed := time.Now()
	readAllFrom(t, clients, alive, objs)
	for k := range 3 {
		waitRepaired(t, alive, killed)
		alive = killSome(t, r, alive, 1, fmt.Sprintf("one more (%d of 3) after repair", k+1))
		killed = time.Now()
		readAllFrom(t, clients, alive, objs)
	}
	waitRepaired(t, alive, killed)
	alive = killSome(t, r, alive, 3, "more than R-1 at once")
	ok, failed := readCounting(t, clients[alive[0]], objs)
	t.Logf("after 3 holders at once: %d objects read with the right bytes, %d failed with an error, none wrong", ok, failed)
}

// net20Objects are the keys of TestScaleTwentyNodes: 100 B to 2 KiB,
// stored inline.
func net20Objects(n int) []testObject {
	objs := make([]testObject, n)
	for i := range objs {
		r := rand.New(rand.NewPCG(uint64(i), 20))
		objs[i] = testObject{key: fmt.Sprintf("k/%06d", i), size: 100 + r.IntN(1949), seed: 20<<32 | uint64(i)}
		objs[i].sum = sha256Hex(objs[i].data())
	}
	return objs
}

// listsExactly lists the bucket through c and compares it with objs.
func listsExactly(ctx context.Context, c *s3.Client, objs []testObject) error {
	keys, err := listBucket(ctx, c, net20Bucket)
	if err != nil {
		return err
	}
	if len(keys) != len(objs) {
		return fmt.Errorf("%d keys listed, want %d", len(keys), len(objs))
	}
	for i, k := range keys {
		if k != objs[i].key {
			return fmt.Errorf("key %d is %s, want %s", i, k, objs[i].key)
		}
	}
	return nil
}

// killSome kills k random nodes of alive at once (SIGKILL) and returns the
// survivors.
func killSome(t *testing.T, r *rand.Rand, alive []*procNode, k int, why string) []*procNode {
	idx := r.Perm(len(alive))[:k]
	var dead []string
	for _, i := range idx {
		alive[i].kill()
		dead = append(dead, alive[i].endpoint)
	}
	t.Logf("killed %v (%s)", dead, why)
	return slices.DeleteFunc(alive, func(p *procNode) bool { return slices.Contains(dead, p.endpoint) })
}

// waitRepaired waits until every survivor finished a repair pass that
// began after since (plus the time connections take to drop) with nothing
// under-replicated and nothing pending.
func waitRepaired(t *testing.T, alive []*procNode, since time.Time) {
	start := time.Now()
	eventually(t, net20Repaired, "repair restored R copies", func() error {
		for i, p := range alive {
			st, err := procStatus(p)
			switch {
			case err != nil:
				return err
			case st.LastRepair.Before(since.Add(15 * time.Second)):
				return fmt.Errorf("survivor %d: last pass %v", i, st.LastRepair)
			case st.UnderReplicated > 0 || st.PendingReplications > 0:
				return fmt.Errorf("survivor %d: %d under-replicated, %d pending", i, st.UnderReplicated, st.PendingReplications)
			}
		}
		return nil
	})
	t.Logf("repair done %v after the check began", time.Since(start).Round(time.Second))
}

// readAllFrom reads every object from one survivor (round robin) and
// net20Sample random objects from every survivor; each must return the
// right bytes.
func readAllFrom(t *testing.T, clients map[*procNode]*s3.Client, alive []*procNode, objs []testObject) {
	start := time.Now()
	err := forEach(len(objs), net20Clients, func(i int) error {
		return getUntil(t.Context(), clients[alive[i%len(alive)]], net20Bucket, objs[i], 30*time.Second)
	})
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(uint64(len(alive)), 21))
	for _, p := range alive {
		c := clients[p]
		err := forEach(net20Sample, net20Clients, func(int) error {
			return getUntil(t.Context(), c, net20Bucket, objs[r.IntN(len(objs))], 30*time.Second)
		})
		if err != nil {
			t.Fatalf("survivor %s: %v", p.endpoint, err)
		}
	}
	t.Logf("%d survivors: every object read, %d more from each, in %v", len(alive), net20Sample, time.Since(start).Round(time.Second))
}

// readCounting reads every object once through c: the right bytes count
// as ok, an error as failed; wrong bytes fail the test.
func readCounting(t *testing.T, c *s3.Client, objs []testObject) (ok, failed int64) {
	var nok, nfail atomic.Int64
	forEach(len(objs), net20Clients, func(i int) error {
		ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
		defer cancel()
		sum, err := getSum(ctx, c, net20Bucket, objs[i].key)
		switch {
		case err != nil:
			nfail.Add(1)
		case sum != objs[i].sum:
			t.Errorf("%s: wrong bytes (SHA-256 %s, want %s)", objs[i].key, sum, objs[i].sum)
		default:
			nok.Add(1)
		}
		return nil
	})
	return nok.Load(), nfail.Load()
}

// logRSS logs the median and highest VmRSS of the processes.
func logRSS(t *testing.T, ns []*procNode) {
	var rss []int64
	for _, p := range ns {
		rss = append(rss, procMemory(t, p.cmd.Process.Pid)["VmRSS"])
	}
	slices.Sort(rss)
	t.Logf("VmRSS per node: median %.0f MiB, max %.0f MiB", mib(rss[len(rss)/2]), mib(rss[len(rss)-1]))
}
