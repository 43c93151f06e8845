//go:build fault && chaos

package e2e

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"syscall"
	"time"
)

// drive injects one fault at a time until ctx ends: a node killed with
// SIGKILL or stopped with SIGTERM and started again 10–25 s later, or two
// nodes cut off from the other three for 30–60 s. After each fault is
// undone the clients pause until every node agrees (a quiet point).
func (c *chaos) drive(ctx context.Context) {
	r := rand.New(rand.NewPCG(7, 0xc4a05))
	c.faults = map[string]int{}
	for {
		if !sleepCtx(ctx, chaosFaultMinGap+time.Duration(r.IntN(15))*time.Second) {
			return
		}
		down := 10*time.Second + time.Duration(r.IntN(15))*time.Second
		var what string
		switch k := r.IntN(3); k {
		case 0, 1:
			i := r.IntN(labNodes)
			sig, name := syscall.SIGKILL, "kill"
			if k == 1 {
				sig, name = syscall.SIGTERM, "stop"
			}
			what = fmt.Sprintf("%s node %d for %v", name, i+1, down)
			c.stop(i, sig)
			sleepCtx(ctx, down)
			c.start(i)
		case 2:
			side := r.Perm(labNodes)[:2]
			down += 20 * time.Second
			what = fmt.Sprintf("partition %v|rest for %v", plus1(side), down)
			c.l.setSide("br1", side...)
			sleepCtx(ctx, down)
			c.l.setSide("br0", side...)
		}
		c.faults[strings.Fields(what)[0]]++
		c.t.Logf("fault: %s", what)
		c.quiet(what)
	}
}

// undoAll heals the network and starts every node that is down.
func (c *chaos) undoAll() {
	c.l.setSide("br0", 0, 1, 2, 3, 4)
	for i := range labNodes {
		c.mu.Lock()
		down := c.procs[i] == nil
		c.mu.Unlock()
		if down {
			c.start(i)
		}
	}
}

// quiet pauses the clients and waits until every node lists the same keys,
// as the history allows; a node that does not within chaosQuietWait is a
// violation.
func (c *chaos) quiet(after string) {
	c.gate.Lock()
	defer c.gate.Unlock()
	start := time.Now()
	var last []string
	for time.Since(start) < chaosQuietWait {
		last = c.disagreement()
		if len(last) == 0 {
			c.t.Logf("quiet point after %s: every node agrees after %v", after, time.Since(start).Round(10*time.Millisecond))
			c.hist.quiet++
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	c.hist.violate("quiet point after %s: nodes still disagree after %v: %s", after, chaosQuietWait, strings.Join(last, "; "))
}

// disagreement lists what keeps the nodes from agreeing with each other
// and with the history; empty when they agree.
func (c *chaos) disagreement() []string {
	var (
		out   []string
		first []string
	)
	for i, cl := range c.clients {
		ctx, cancel := context.WithTimeout(c.t.Context(), chaosOpTimeout)
		keys, err := listBucket(ctx, cl, chaosBucket)
		cancel()
		if err != nil {
			return []string{fmt.Sprintf("node %d: %v", i+1, err)}
		}
		sort.Strings(keys)
		if i == 0 {
			first = keys
		} else if !slices.Equal(keys, first) {
			out = append(out, fmt.Sprintf("node %d lists %d keys, node 1 %d", i+1, len(keys), len(first)))
		}
	}
	out = append(out, c.hist.unexplained(first)...)
	return out
}

// readEverything GETs every key of the final listing from every node: the
// bytes must be a version the history allows as the key's last.
func (c *chaos) readEverything() {
	ctx := c.t.Context()
	keys, err := listBucket(ctx, c.clients[0], chaosBucket)
	if err != nil {
		c.hist.violate("final list: %v", err)
		return
	}
	for i, cl := range c.clients {
		for _, k := range keys {
			var sum string
			err := retry(ctx, func(ctx context.Context) (err error) {
				sum, err = getSum(ctx, cl, chaosBucket, k)
				return err
			})
			if err != nil {
				c.hist.violate("final GET %s on node %d: %v", k, i+1, err)
			} else if ok, ops := c.hist.possible(k, sum); !ok {
				c.hist.violate("final GET %s on node %d: SHA-256 %.8s is not a version it may have last (%s)", k, i+1, sum, ops)
			}
		}
	}
	c.hist.reads = len(keys) * len(c.clients)
}

// sleepCtx sleeps d or until ctx ends, and reports whether ctx is alive.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	select {
	case <-ctx.Done():
		return false
	case <-time.After(d):
		return true
	}
}

// plus1 numbers nodes from 1.
func plus1(xs []int) []int {
	out := make([]int, len(xs))
	for i, x := range xs {
		out[i] = x + 1
	}
	return out
}
