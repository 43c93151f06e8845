package node

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/d3s/d3s/swarm"
)

// Damaged objects: the swarm verifies every piece it reads (GET, serving
// a peer, scrub) and reports a stored object whose bytes fail through
// swarm.Config.OnCorrupt. The node then marks it damaged (in memory: a
// restart forgets the mark, and the next read or scrub finds the damage
// again), stops offering it to other members (metaProtocol,
// haveProtocol), and repairs it from another member that holds it
// (swarm.Repair, its references kept). Until then GetObject waits for
// that repair rather than return bytes of the local copy.

// damageTracker is the set of damaged objects and the counters Status
// shows.
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

// onCorrupt is swarm.Config.OnCorrupt: it must not block.
func (n *Node) onCorrupt(id swarm.ID) {
	if n.damage.mark(id) {
		n.log.Warn("stored object is damaged, repairing from other members", "id", id)
	}
	n.startRepair(id)
}

// startRepair starts repairing damaged id in the background unless a
// repair runs already, and returns the channel closed when it ends (nil
// when id is not damaged).
func (n *Node) startRepair(id swarm.ID) chan struct{} {
	done, start := n.damage.begin(id)
	if !start {
		return done
	}
	if !n.track() {
		n.damage.finish(id, context.Canceled)
		return done
	}
	go func() {
		defer n.bg.Done()
		err := n.repairDamaged(id)
		if err != nil && n.ctx.Err() == nil {
			n.log.Warn("repair damaged object", "id", id, "err", err)
		} else if err == nil {
			n.log.Info("damaged object repaired", "id", id)
		}
		n.damage.finish(id, err)
	}()
	return done
}

// retryDamaged starts a repair of every damaged object not being
// repaired (the repair loop calls it each pass).
func (n *Node) retryDamaged() {
	for _, id := range n.damage.ids() {
		n.startRepair(id)
	}
}

// repairDamaged downloads id again from the members that hold it intact
// (its holders, then any live member: the writer may be none of them).
func (n *Node) repairDamaged(id swarm.ID) error {
	if n.hostp.Load() == nil {
		return fmt.Errorf("repair %s: %w: not on a network", id, ErrNoHolder)
	}
	obj, err := n.swarm.Stat(n.ctx, id)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(n.ctx, replicateTimeout(obj.Size))
	defer cancel()
	_, names, err := n.findHolders(ctx, id, n.repairSources(ctx, id))
	if err != nil {
		return fmt.Errorf("repair %s: %w", id, err)
	}
	if err := n.swarm.Repair(ctx, id, names); err != nil {
		return fmt.Errorf("repair %s: %w", id, err)
	}
	return nil
}

// repairSources are the members to ask for an intact copy of id: its
// live holders, then the other live members; never this node.
func (n *Node) repairSources(ctx context.Context, id swarm.ID) []peer.ID {
	live := n.liveMembers()
	cands := without(n.holdersAmong(ctx, id, live), n.mem.id)
	for _, p := range live {
		if p != n.mem.id && !slices.Contains(cands, p) {
			cands = append(cands, p)
		}
	}
	return cands
}

// awaitRepair waits until damaged id is repaired (starting a repair if
// none runs), ctx ends, or the repair fails.
func (n *Node) awaitRepair(ctx context.Context, id swarm.ID) error {
	done := n.startRepair(id)
	if done == nil {
		return nil
	}
	select {
	case <-done:
	case <-ctx.Done():
		return ctx.Err()
	}
	n.damage.mu.Lock()
	defer n.damage.mu.Unlock()
	o, ok := n.damage.objects[id]
	switch {
	case !ok:
		return nil
	case o.err != nil:
		return fmt.Errorf("%w: local copy of %s is damaged: %w", ErrNoHolder, id, o.err)
	default:
		return fmt.Errorf("%w: local copy of %s is damaged", ErrNoHolder, id)
	}
}
