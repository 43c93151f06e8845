package repair

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/d3s/d3s/internal/lifetime"
	"github.com/d3s/d3s/swarm"
)

const (
	// firstDelay is when the first pass runs after Start (or the
	// interval, when shorter): soon, once the connections are up.
	firstDelay = 5 * time.Second
	// haveParallel bounds the have requests one batch sends at once.
	haveParallel = 8
	// duty bounds the share of time spent in passes: the next pass
	// waits at least duty times as long as the last one took. A pass
	// costs ~25 µs of CPU per held object (one badger lookup or two
	// each: 2.5 CPU-s for 100 000 objects on the 2-core machine), so a
	// node holding millions of objects would otherwise walk them
	// without pause.
	duty = 9
	// adoptParallel is how many adoptions run at once: each is a few
	// synced badger commits, which badger groups into one fsync when
	// they arrive together (one at a time, the first pass after 100 000
	// PUTs spent 40 s of half a core syncing the write-ahead log).
	adoptParallel = 16
)

// passStats accumulates one pass: each infohash is counted once although
// the walk may see it twice (a replica this node also wrote).
type passStats struct {
	seen map[swarm.ID]struct{}
	// collecting are this node's collection candidates when the pass
	// began: versions that left a catalogue, which it does not copy to
	// anyone while its sweep decides.
	collecting map[swarm.ID]time.Time
	// unverified are the copies this node would lead of replicas
	// recorded CheckAge ago or earlier: checked against the catalogue
	// once the walk is done (VerifyLeads).
	unverified  map[swarm.ID][]peer.ID
	heldObjects int
	heldBytes   int64
	under       int
}

// count records id the first time the pass sees it and reports whether
// this was the first time.
func (ps *passStats) count(id swarm.ID, size int64) bool {
	if _, ok := ps.seen[id]; ok {
		return false
	}
	ps.seen[id] = struct{}{}
	ps.heldObjects++
	ps.heldBytes += size
	return true
}

// repairLoop runs a repair pass every interval (or duty times the last
// pass's duration, when longer) until ctx ends.
func (r *Repairer) repairLoop(ctx context.Context) {
	wait := min(r.interval, firstDelay)
	for {
		if !lifetime.Sleep(ctx, lifetime.Jitter(wait)) {
			return
		}
		start := time.Now()
		if err := r.Pass(ctx); err != nil && ctx.Err() == nil {
			r.log.Warn("repair pass", "err", err)
		}
		wait = nextWait(r.interval, time.Since(start))
	}
}

// nextWait is the pause before the next pass after one that took took:
// the interval, or duty times took when longer.
func nextWait(interval, took time.Duration) time.Duration {
	return max(interval, duty*took)
}

// Pass checks every object version this node holds once, and retries
// the repair of damaged ones.
func (r *Repairer) Pass(ctx context.Context) error {
	start := time.Now()
	r.retryDamaged()
	cands, err := r.ledger.Candidates()
	if err != nil {
		return err
	}
	ps := &passStats{seen: make(map[swarm.ID]struct{}), collecting: cands, unverified: make(map[swarm.ID][]peer.ID)}
	err = r.Walk(ctx, func(items []Item) error {
		r.repairItems(ctx, items, ps)
		return ctx.Err()
	})
	if err != nil {
		return err
	}
	if err := r.VerifyLeads(ctx, ps.unverified); err != nil {
		return err
	}
	r.stats.mu.Lock()
	defer r.stats.mu.Unlock()
	r.stats.LastPass = start
	r.stats.HeldObjects, r.stats.HeldBytes, r.stats.UnderReplicated = ps.heldObjects, ps.heldBytes, ps.under
	r.stats.Passes++
	r.log.Debug("repair pass", "held", ps.heldObjects, "bytes", ps.heldBytes, "under_replicated", ps.under, "took", time.Since(start))
	return nil
}

// repairItems checks one batch: holders per version, one have request
// per holder, then a decision per version.
func (r *Repairer) repairItems(ctx context.Context, items []Item, ps *passStats) {
	live := r.place.Live()
	plans := make([]Plan, 0, len(items))
	asks := make(map[peer.ID][]swarm.ID)
	for _, it := range items {
		obj, err := r.swarm.Stat(ctx, it.ID)
		if err != nil {
			if !errors.Is(err, swarm.ErrNotFound) {
				r.log.Warn("repair: stat held object", "id", it.ID, "err", err)
			}
			continue // released meanwhile
		}
		_, collecting := ps.collecting[it.ID]
		pl := Plan{Item: it, Holders: r.place.HoldersAmong(ctx, it.ID, live), first: ps.count(it.ID, obj.Size), Collecting: collecting}
		if it.Replica && len(it.Own) == 0 && time.Since(it.Recorded) >= r.checkAge {
			pl.unverified = ps.unverified
		}
		plans = append(plans, pl)
		for _, p := range pl.Holders {
			if p != r.place.Self() {
				asks[p] = append(asks[p], it.ID)
			}
		}
	}
	has := r.askHolders(ctx, asks)
	var adopt []Item
	for _, pl := range plans {
		under, own := r.Decide(ctx, pl, has)
		if under && pl.first {
			ps.under++
		}
		if own {
			adopt = append(adopt, pl.Item)
		}
	}
	r.AdoptAll(ctx, adopt)
}

// AdoptAll records replica references on items (adopt), adoptParallel
// at a time.
func (r *Repairer) AdoptAll(ctx context.Context, items []Item) {
	var wg sync.WaitGroup
	sem := make(chan struct{}, adoptParallel)
	for _, it := range items {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			r.adopt(ctx, it)
		})
	}
	wg.Wait()
}

// askHolders sends the have requests of a batch, at most haveParallel at
// once. A holder that does not answer is taken to have nothing: it is
// counted as no copy, so the worst outcome is a replication too many.
func (r *Repairer) askHolders(ctx context.Context, asks map[peer.ID][]swarm.ID) map[peer.ID]map[swarm.ID]bool {
	out := make(map[peer.ID]map[swarm.ID]bool, len(asks))
	var (
		mu  sync.Mutex
		wg  sync.WaitGroup
		sem = make(chan struct{}, haveParallel)
	)
	for p, ids := range asks {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			has, err := r.askHaveAll(ctx, p, ids)
			if err != nil && ctx.Err() == nil {
				r.log.Debug("have request", "peer", p, "err", err)
			}
			mu.Lock()
			out[p] = has
			mu.Unlock()
		})
	}
	wg.Wait()
	return out
}
