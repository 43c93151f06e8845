package node

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

// seed loads id as a torrent (swarm.Seed) and keeps it loaded for the
// idle time plus its size at seedMinRate from now.
func (n *Node) seed(ctx context.Context, id swarm.ID, size int64) error {
	if err := n.swarm.Seed(ctx, id); err != nil {
		return err
	}
	keep := n.seedIdle() + time.Duration(size/seedMinRate)*time.Second
	n.seeds.mu.Lock()
	defer n.seeds.mu.Unlock()
	if n.seeds.until == nil {
		n.seeds.until = make(map[swarm.ID]time.Time)
	}
	if u := time.Now().Add(keep); u.After(n.seeds.until[id]) {
		n.seeds.until[id] = u
	}
	return nil
}

func (n *Node) seedIdle() time.Duration {
	if n.cfg.SeedIdle > 0 {
		return n.cfg.SeedIdle
	}
	return DefaultSeedIdle
}

// idleLoop unloads idle torrents every half idle time until ctx ends.
func (n *Node) idleLoop(ctx context.Context) {
	t := time.NewTicker(n.seedIdle() / 2)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			n.unseedIdle(ctx, now)
		}
	}
}

// unseedIdle unloads the torrents whose keep-loaded time passed by now.
// The stored bytes stay; the next request loads the torrent again.
func (n *Node) unseedIdle(ctx context.Context, now time.Time) {
	for _, id := range n.seeds.expired(now) {
		if err := n.swarm.Unseed(ctx, id); err != nil {
			n.log.Warn("unload idle torrent", "id", id, "err", err)
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
