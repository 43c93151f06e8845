package node

import (
	"context"
	"errors"
	"time"

	"github.com/d3s/d3s/swarm"
)

// The scrub re-reads every object this node holds and checks each piece
// against its SHA-1 (swarm.Scrub), so that damage on a disk is found and
// repaired from another holder before the other copies are lost too,
// not only when a client happens to read the object. One pass is spread
// over Config.ScrubInterval: it reads at the held bytes (as the last
// repair pass counted them) divided by the interval, never faster than
// Config.ScrubRate, and the next pass starts an interval after this one
// began.
const (
	// DefaultScrubInterval is Config.ScrubInterval when unset.
	DefaultScrubInterval = 24 * time.Hour
	// DefaultScrubRate is Config.ScrubRate when unset, bytes per second:
	// a fraction of one disk's sequential read rate.
	DefaultScrubRate = 64 << 20
	// scrubFirstDelay is when the first pass starts after Start (or the
	// interval, when shorter), leaving the start-up to the repair loop.
	scrubFirstDelay = time.Minute
)

func (n *Node) scrubInterval() time.Duration {
	if n.cfg.ScrubInterval > 0 {
		return n.cfg.ScrubInterval
	}
	return DefaultScrubInterval
}

func (n *Node) scrubRate() int64 {
	if n.cfg.ScrubRate > 0 {
		return n.cfg.ScrubRate
	}
	return DefaultScrubRate
}

// scrubLoop runs scrub passes until ctx ends.
func (n *Node) scrubLoop(ctx context.Context) {
	wait := min(n.scrubInterval(), scrubFirstDelay)
	for {
		if !sleepCtx(ctx, jitter(wait)) {
			return
		}
		start := time.Now()
		if err := n.scrubPass(ctx); err != nil && ctx.Err() == nil {
			n.log.Warn("scrub pass", "err", err)
		}
		wait = max(n.scrubInterval()-time.Since(start), n.scrubInterval()/10)
	}
}

// scrubPace is the read rate of a pass, in bytes per second, once it has
// read seen bytes.
func (n *Node) scrubPace(seen int64) float64 {
	n.repairs.mu.Lock()
	held := max(n.repairs.heldBytes, seen)
	n.repairs.mu.Unlock()
	limit := float64(n.scrubRate())
	if held <= 0 {
		return limit
	}
	return min(limit, float64(held)/n.scrubInterval().Seconds())
}

// scrubPass verifies every held object once, at scrubPace: one pass
// over the bytes held takes about the scrub interval. The bytes held are
// what the last repair pass counted, or the bytes this pass has read
// when more (read again after each object): with the count of when the
// pass began, a node that held little then (a wiped node refilling)
// crawled through the copies it gained at the pace of the few, and a
// flipped byte in one of them went unseen for minutes.
func (n *Node) scrubPass(ctx context.Context) error {
	seen := make(map[swarm.ID]struct{})
	var read int64
	return n.walkHeld(ctx, func(items []heldItem) error {
		for _, it := range items {
			if _, ok := seen[it.id]; ok || n.damage.isDamaged(it.id) {
				continue
			}
			seen[it.id] = struct{}{}
			start := time.Now()
			size := n.scrubOne(ctx, it.id)
			read += size
			due := start.Add(time.Duration(float64(size) / n.scrubPace(read) * float64(time.Second)))
			if !sleepCtx(ctx, time.Until(due)) {
				return ctx.Err()
			}
		}
		return ctx.Err()
	})
}

// scrubOne verifies one object and returns the bytes it read.
func (n *Node) scrubOne(ctx context.Context, id swarm.ID) int64 {
	obj, err := n.swarm.Stat(ctx, id)
	if err != nil {
		return 0 // released meanwhile
	}
	err = n.swarm.Scrub(ctx, id)
	switch {
	case errors.Is(err, swarm.ErrCorrupt):
		n.onCorrupt(id) // the swarm calls it too; marking is idempotent
	case err != nil && !errors.Is(err, swarm.ErrNotFound) && ctx.Err() == nil:
		n.log.Warn("scrub", "id", id, "err", err)
	}
	return obj.Size
}

// sleepCtx waits for d (no time when d <= 0) and reports whether ctx is
// still live.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
