package repair

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/d3s/d3s/node/placement"
	"github.com/d3s/d3s/swarm"
)

// damageTracker is the set of damaged objects and the counters Stats
// shows (see the package doc).
type damageTracker struct {
	mu       sync.Mutex
	objects  map[swarm.ID]*damagedObject
	corrupt  int // objects found damaged since start
	repaired int // of which repaired from another member
}

// damagedObject is the repair state of one damaged object.
type damagedObject struct {
	running bool
	done    chan struct{} // closed when the running repair ends
	err     error         // the last repair's failure
}

// isDamaged reports whether id is known to be damaged here.
func (d *damageTracker) isDamaged(id swarm.ID) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	_, ok := d.objects[id]
	return ok
}

// mark records id as damaged and reports whether it was not already.
func (d *damageTracker) mark(id swarm.ID) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.objects[id]; ok {
		return false
	}
	if d.objects == nil {
		d.objects = make(map[swarm.ID]*damagedObject)
	}
	d.objects[id] = &damagedObject{}
	d.corrupt++
	return true
}

// begin starts a repair of id unless one runs or id is not damaged; it
// returns the channel closed when the repair (new or running) ends, nil
// when id is not damaged, and whether the caller must run a new one.
func (d *damageTracker) begin(id swarm.ID) (done chan struct{}, start bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	o, ok := d.objects[id]
	if !ok {
		return nil, false
	}
	if o.running {
		return o.done, false
	}
	o.running, o.done = true, make(chan struct{})
	return o.done, true
}

// finish ends id's repair: a success (or an object no longer stored)
// forgets the damage, a failure keeps it for the next attempt.
func (d *damageTracker) finish(id swarm.ID, err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	o, ok := d.objects[id]
	if !ok {
		return
	}
	o.running, o.err = false, err
	close(o.done)
	switch {
	case err == nil:
		d.repaired++
		delete(d.objects, id)
	case errors.Is(err, swarm.ErrNotFound):
		delete(d.objects, id) // released meanwhile: nothing to repair
	}
}

// outcome is the state of id after its repair ended: nil once repaired.
func (d *damageTracker) outcome(id swarm.ID) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	o, ok := d.objects[id]
	switch {
	case !ok:
		return nil
	case o.err != nil:
		return fmt.Errorf("%w: local copy of %s is damaged: %w", placement.ErrNoHolder, id, o.err)
	default:
		return fmt.Errorf("%w: local copy of %s is damaged", placement.ErrNoHolder, id)
	}
}

// ids lists the damaged objects.
func (d *damageTracker) ids() []swarm.ID {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]swarm.ID, 0, len(d.objects))
	for id := range d.objects {
		out = append(out, id)
	}
	return out
}

// counts returns the corrupt and repaired counters.
func (d *damageTracker) counts() (corrupt, repaired int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.corrupt, d.repaired
}

// Damaged reports whether the local copy of id is known to be damaged.
func (r *Repairer) Damaged(id swarm.ID) bool { return r.damage.isDamaged(id) }

// MarkDamaged records id as damaged without starting its repair (tests
// of what a damaged copy changes); OnCorrupt is the real report.
func (r *Repairer) MarkDamaged(id swarm.ID) { r.damage.mark(id) }

// OnCorrupt is swarm.Config.OnCorrupt: it marks id damaged and starts its
// repair. It does not block.
func (r *Repairer) OnCorrupt(id swarm.ID) {
	if r.damage.mark(id) {
		r.log.Warn("stored object is damaged, repairing from other members", "id", id)
	}
	r.startRepair(id)
}

// startRepair starts repairing damaged id in the background unless a
// repair runs already, and returns the channel closed when it ends (nil
// when id is not damaged).
func (r *Repairer) startRepair(id swarm.ID) chan struct{} {
	done, start := r.damage.begin(id)
	if !start {
		return done
	}
	started := r.life.Go(func() {
		err := r.repairDamaged(id)
		if err != nil && r.life.Context().Err() == nil {
			r.log.Warn("repair damaged object", "id", id, "err", err)
		} else if err == nil {
			r.log.Info("damaged object repaired", "id", id)
		}
		r.damage.finish(id, err)
	})
	if !started {
		r.damage.finish(id, context.Canceled)
	}
	return done
}

// retryDamaged starts a repair of every damaged object not being
// repaired (the repair loop calls it each pass).
func (r *Repairer) retryDamaged() {
	for _, id := range r.damage.ids() {
		r.startRepair(id)
	}
}

// repairDamaged downloads id again from the members that hold it intact
// (its holders, then any live member: the writer may be none of them).
func (r *Repairer) repairDamaged(id swarm.ID) error {
	if r.host.Load() == nil {
		return fmt.Errorf("repair %s: %w: not on a network", id, placement.ErrNoHolder)
	}
	ctx := r.life.Context()
	obj, err := r.swarm.Stat(ctx, id)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, repairTimeout(obj.Size))
	defer cancel()
	_, names, err := r.finder.FindHolders(ctx, id, r.sources(ctx, id))
	if err != nil {
		return fmt.Errorf("repair %s: %w", id, err)
	}
	if err := r.swarm.Repair(ctx, id, names); err != nil {
		return fmt.Errorf("repair %s: %w", id, err)
	}
	return nil
}

// repairTimeout bounds one repair of an object of size bytes, as a
// replication is bounded: a minute, plus a second per 4 MiB.
func repairTimeout(size int64) time.Duration {
	return time.Minute + time.Duration(size/(4<<20))*time.Second
}

// sources are the members to ask for an intact copy of id: its live
// holders, then the other live members; never this node.
func (r *Repairer) sources(ctx context.Context, id swarm.ID) []peer.ID {
	live := r.place.Live()
	self := r.place.Self()
	cands := placement.Without(r.place.HoldersAmong(ctx, id, live), self)
	for _, p := range live {
		if p != self && !slices.Contains(cands, p) {
			cands = append(cands, p)
		}
	}
	return cands
}

// AwaitRepair waits until damaged id is repaired (starting a repair if
// none runs), ctx ends, or the repair fails (an error wrapping
// placement.ErrNoHolder).
func (r *Repairer) AwaitRepair(ctx context.Context, id swarm.ID) error {
	done := r.startRepair(id)
	if done == nil {
		return nil
	}
	select {
	case <-done:
	case <-ctx.Done():
		return ctx.Err()
	}
	return r.damage.outcome(id)
}
