package replicate

import (
	"context"
	"sync"
	"time"

	"github.com/d3s/d3s/swarm"
)

// Seeding bounds.
const (
	// DefaultSeedIdle is Config.SeedIdle when unset.
	DefaultSeedIdle = 2 * time.Minute
	// seedMinRate is the slowest transfer an idle deadline allows for:
	// an object stays seeded at least its size at this rate after its
	// last request, so that a slow download is not cut off.
	seedMinRate = 1 << 20 // bytes per second
)

// seedTracker remembers, per object this node loaded as a torrent to
// serve a replicate or meta request, until when it must stay loaded.
type seedTracker struct {
	mu    sync.Mutex
	until map[swarm.ID]time.Time
}

// Seed loads id as a torrent (swarm.Seed) and keeps it loaded for the
// idle time plus its size at seedMinRate from now; the idle loop unloads
// it afterwards.
func (r *Replicator) Seed(ctx context.Context, id swarm.ID, size int64) error {
	if err := r.swarm.Seed(ctx, id); err != nil {
		return err
	}
	keep := r.seedIdle + time.Duration(size/seedMinRate)*time.Second
	r.seeds.mu.Lock()
	defer r.seeds.mu.Unlock()
	if r.seeds.until == nil {
		r.seeds.until = make(map[swarm.ID]time.Time)
	}
	if u := time.Now().Add(keep); u.After(r.seeds.until[id]) {
		r.seeds.until[id] = u
	}
	return nil
}

// idleLoop unloads idle torrents every half idle time until ctx ends.
func (r *Replicator) idleLoop(ctx context.Context) {
	t := time.NewTicker(r.seedIdle / 2)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			r.unseedIdle(ctx, now)
		}
	}
}

// unseedIdle unloads the torrents whose keep-loaded time passed by now.
// The stored bytes stay; the next request loads the torrent again.
func (r *Replicator) unseedIdle(ctx context.Context, now time.Time) {
	for _, id := range r.seeds.expired(now) {
		if err := r.swarm.Unseed(ctx, id); err != nil {
			r.log.Warn("unload idle torrent", "id", id, "err", err)
		}
	}
}

// expired removes and returns the IDs whose time passed by now.
func (s *seedTracker) expired(now time.Time) []swarm.ID {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []swarm.ID
	for id, u := range s.until {
		if now.After(u) {
			out = append(out, id)
			delete(s.until, id)
		}
	}
	return out
}
