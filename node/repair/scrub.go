package repair

import (
	"context"
	"errors"
	"time"

	"github.com/d3s/d3s/internal/lifetime"
	"github.com/d3s/d3s/swarm"
)

// The scrub re-reads every object this node holds and checks each piece
// against its SHA-1 (swarm.Scrub), so that damage on a disk is found and
// repaired from another holder before the other copies are lost too,
// not only when a client happens to read the object. One pass is spread
// over the scrub interval: it reads at the held bytes (as the last
// repair pass counted them) divided by the interval, never faster than
// the scrub rate, and the next pass starts an interval after this one
// began.

// scrubFirstDelay is when the first pass starts after Start (or the
// interval, when shorter), leaving the start-up to the repair loop.
const scrubFirstDelay = time.Minute

// scrubLoop runs scrub passes until ctx ends.
func (r *Repairer) scrubLoop(ctx context.Context) {
	wait := min(r.scrubInterval, scrubFirstDelay)
	for {
		if !lifetime.Sleep(ctx, lifetime.Jitter(wait)) {
			return
		}
		start := time.Now()
		if err := r.ScrubPass(ctx); err != nil && ctx.Err() == nil {
			r.log.Warn("scrub pass", "err", err)
		}
		wait = max(r.scrubInterval-time.Since(start), r.scrubInterval/10)
	}
}

// scrubPace is the read rate of a pass, in bytes per second, once it has
// read seen bytes.
func (r *Repairer) scrubPace(seen int64) float64 {
	held := max(r.heldBytes(), seen)
	limit := float64(r.scrubRate)
	if held <= 0 {
		return limit
	}
	return min(limit, float64(held)/r.scrubInterval.Seconds())
}

// ScrubPass verifies every held object once, at scrubPace: one pass
// over the bytes held takes about the scrub interval. The bytes held are
// what the last repair pass counted, or the bytes this pass has read
// when more (read again after each object): with the count of when the
// pass began, a node that held little then (a wiped node refilling)
// crawled through the copies it gained at the pace of the few, and a
// flipped byte in one of them went unseen for minutes.
func (r *Repairer) ScrubPass(ctx context.Context) error {
	seen := make(map[swarm.ID]struct{})
	var read int64
	return r.Walk(ctx, func(items []Item) error {
		for _, it := range items {
			if _, ok := seen[it.ID]; ok || r.damage.isDamaged(it.ID) {
				continue
			}
			seen[it.ID] = struct{}{}
			start := time.Now()
			size := r.scrubOne(ctx, it.ID)
			read += size
			due := start.Add(time.Duration(float64(size) / r.scrubPace(read) * float64(time.Second)))
			if !lifetime.Sleep(ctx, time.Until(due)) {
				return ctx.Err()
			}
		}
		return ctx.Err()
	})
}

// scrubOne verifies one object and returns the bytes it read.
func (r *Repairer) scrubOne(ctx context.Context, id swarm.ID) int64 {
	obj, err := r.swarm.Stat(ctx, id)
	if err != nil {
		return 0 // released meanwhile
	}
	err = r.swarm.Scrub(ctx, id)
	switch {
	case errors.Is(err, swarm.ErrCorrupt):
		r.OnCorrupt(id) // the swarm calls it too; marking is idempotent
	case err != nil && !errors.Is(err, swarm.ErrNotFound) && ctx.Err() == nil:
		r.log.Warn("scrub", "id", id, "err", err)
	}
	return obj.Size
}
