package collect

import (
	"context"
	"errors"
	"time"

	"github.com/d3s/d3s/catalog"
	"github.com/d3s/d3s/internal/lifetime"
	"github.com/d3s/d3s/swarm"
)

// sweepLoop sweeps the candidates every sweep interval until ctx ends.
func (c *Collector) sweepLoop(ctx context.Context) {
	t := time.NewTicker(c.sweep)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := c.Sweep(ctx); err != nil && ctx.Err() == nil {
				c.log.Warn("replica collection", "err", err)
			}
		}
	}
}

// Sweep releases every candidate replica no live entry of this node's
// catalogue references, after revalidating every bucket it knows
// (LiveRefs) and once the candidate is candidateGrace old; a referenced
// candidate is kept for candidateTTL, then forgotten.
func (c *Collector) Sweep(ctx context.Context) error {
	cands, err := c.ledger.Candidates()
	if err != nil || len(cands) == 0 {
		return err
	}
	live, err := c.LiveRefs(ctx, cands)
	if err != nil {
		return err
	}
	for id, since := range cands {
		switch {
		case !live[id] && time.Since(since) >= candidateGrace:
			c.ledger.Collect(ctx, id, true)
		case time.Since(since) > candidateTTL:
			c.ledger.Collect(ctx, id, false)
		}
	}
	return nil
}

// LiveRefs reports which of cands a live entry of this node's catalogue,
// or a snapshot blob of a bucket's current manifest, references. Every bucket of every user this node knows is revalidated
// first (catalog.Revalidate: the DHT lookup runs to its end, however long
// that takes, and the best record found is merged), then scanned: the
// cost is one pass over the whole catalogue, which is what makes the
// answer right when several keys, or users, share one content-addressed
// infohash. The DHT answers a lookup that reaches no peer with the newest
// record this node has seen, so a node on a network connected to no other
// member fails (ErrNoMembers) rather than decide on what it merged alone.
func (c *Collector) LiveRefs(ctx context.Context, cands map[swarm.ID]time.Time) (map[swarm.ID]bool, error) {
	if c.place.Online() && len(c.place.Live()) < 2 {
		return nil, ErrNoMembers
	}
	users, err := c.users(ctx)
	if err != nil {
		return nil, err
	}
	live := make(map[swarm.ID]bool)
	for _, user := range users {
		if err := c.liveRefsOf(ctx, user, cands, live); err != nil {
			return nil, err
		}
	}
	return live, nil
}

// liveRefsOf adds to live the candidates user's buckets reference.
func (c *Collector) liveRefsOf(ctx context.Context, user string, cands map[swarm.ID]time.Time, live map[swarm.ID]bool) error {
	if err := c.cat.Revalidate(ctx, user, ""); err != nil {
		return err
	}
	buckets, err := c.cat.ListBuckets(ctx, user)
	if err != nil {
		return err
	}
	for _, b := range buckets {
		if err := c.cat.Revalidate(ctx, user, b.Name); err != nil {
			return err
		}
		if err := scanBucket(ctx, c.cat, user, b.Name, cands, live); err != nil {
			return err
		}
		if err := c.scanBlobs(user, b.Name, cands, live); err != nil {
			return err
		}
	}
	return nil
}

// scanBucket adds to live the candidates bucket's entries reference.
func scanBucket(ctx context.Context, cat *catalog.Catalog, user, bucket string, cands map[swarm.ID]time.Time, live map[swarm.ID]bool) error {
	it, err := cat.Refs(ctx, user, bucket)
	if errors.Is(err, catalog.ErrNoSuchBucket) {
		return nil // deleted meanwhile
	}
	if err != nil {
		return err
	}
	defer it.Close()
	for it.Next() {
		if _, ok := cands[it.Entry().InfoHash]; ok {
			live[it.Entry().InfoHash] = true
		}
	}
	return it.Err()
}

// scanBlobs adds to live the candidates that are snapshot blobs of
// bucket's current manifest (merged by the Revalidate before): a holder
// of a bucket's index keeps it while a live head references it.
func (c *Collector) scanBlobs(user, bucket string, cands map[swarm.ID]time.Time, live map[swarm.ID]bool) error {
	if c.blobObject == nil {
		return nil
	}
	ids, err := c.cat.SnapshotBlobs(user, bucket)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if sid, ok := c.blobObject(id); ok {
			if _, ok := cands[sid]; ok {
				live[sid] = true
			}
		}
	}
	return nil
}

// orphanLoop runs an orphan scan every orphan interval until ctx ends.
func (c *Collector) orphanLoop(ctx context.Context) {
	every := c.orphanScan
	wait := min(every, orphanFirstDelay)
	var suspects map[swarm.ID]struct{}
	for lifetime.Sleep(ctx, lifetime.Jitter(wait)) {
		next, err := c.scanOrphans(ctx, suspects, every)
		if err != nil {
			if ctx.Err() == nil {
				c.log.Warn("orphan scan", "err", err)
			}
		} else {
			suspects = next
		}
		wait = every
	}
}

// scanOrphans returns the replicas recorded at least age ago that no
// live entry references, and notes as collection candidates those among
// them that were suspects already (the previous scan's answer).
func (c *Collector) scanOrphans(ctx context.Context, suspects map[swarm.ID]struct{}, age time.Duration) (map[swarm.ID]struct{}, error) {
	old, err := c.ledger.RecordedBefore(time.Now().Add(-age))
	if err != nil || len(old) == 0 {
		return nil, err
	}
	live, err := c.LiveRefs(ctx, old)
	if err != nil {
		return nil, err
	}
	next := make(map[swarm.ID]struct{})
	for id := range old {
		if live[id] {
			continue
		}
		next[id] = struct{}{}
		if _, ok := suspects[id]; ok {
			c.log.Info("replica no version references: collecting", "id", id)
			c.ledger.MarkCandidate(id)
		}
	}
	return next, nil
}
