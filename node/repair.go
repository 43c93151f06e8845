package node

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/d3s/d3s/swarm"
)

// The repair loop restores R copies of every object version this node
// holds. Every Config.RepairInterval each node walks what it holds
// (repair_walk.go), computes each version's holders among the live
// members and asks them over haveProtocol which they have. Per version:
//
//   - the first node in placement order (the holders, closest first,
//     then this node when it is not one) that has a copy leads: it queues
//     durable replication tasks (replqueue.go) to the holders missing
//     one, so exactly one node sends where views agree; except for a
//     collection candidate (gc.go): a version with those bytes left a
//     catalogue, and copying it to holders that collected theirs already
//     would leave them a copy no notice will ever collect. A candidate
//     still referenced by a live key (another key, same bytes) is
//     repaired again once its sweep forgets it (at most gcCandidateTTL);
//   - a holder that has the bytes only as their writer records a replica
//     reference (adoptReplica), so it answers "have" like the others;
//   - a node that is not a holder gives its copy up only once every one
//     of the R live holders confirmed theirs: a replica reference is
//     dropped, and the writer's own reference handed over (handover.go;
//     GetObject reads from the holders from then on).
//
// The queue's retry loop drops a task whose holder is no longer among
// the live holders; the next pass routes the copy to whoever is.
const (
	// DefaultRepairInterval is Config.RepairInterval when unset.
	DefaultRepairInterval = 30 * time.Second
	// repairFirstDelay is when the first pass runs after Start (or the
	// interval, when shorter): soon, once the connections are up.
	repairFirstDelay = 5 * time.Second
	// haveParallel bounds the have requests one batch sends at once.
	haveParallel = 8
	// repairDuty bounds the share of time spent in passes: the next pass
	// waits at least repairDuty times as long as the last one took. A
	// pass costs ~25 µs of CPU per held object (one badger lookup or two
	// each: 2.5 CPU-s for 100 000 objects on the 2-core machine), so
	// a node holding millions of objects would otherwise walk them
	// without pause.
	repairDuty = 9
	// repairCheckAge is how old a replica must be for the repair to check
	// that a version still references it before copying it: a younger one
	// may belong to a PUT whose catalogue entry has not reached this node.
	repairCheckAge = 10 * time.Minute
)

// repairStats is what the last completed repair pass found, for Status.
type repairStats struct {
	mu          sync.Mutex
	last        time.Time
	heldObjects int
	heldBytes   int64
	under       int
	passes      int
}

// passStats accumulates one pass: each infohash is counted once although
// the walk may see it twice (a replica this node also wrote).
type passStats struct {
	seen map[swarm.ID]struct{}
	// collecting are this node's collection candidates (gc.go) when the
	// pass began: versions that left a catalogue, which it does not copy
	// to anyone while its sweep decides.
	collecting map[swarm.ID]time.Time
	// unverified are the copies this node would lead of replicas
	// recorded repairCheckAge ago or earlier: checked against the
	// catalogue once the walk is done (verifyLeads).
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

func (n *Node) repairCheckAge() time.Duration {
	if n.cfg.repairCheckAge > 0 {
		return n.cfg.repairCheckAge
	}
	return repairCheckAge
}

func (n *Node) repairInterval() time.Duration {
	if n.cfg.RepairInterval > 0 {
		return n.cfg.RepairInterval
	}
	return DefaultRepairInterval
}

// jitter returns d ±10%, so that the nodes of a network started together
// do not all run their passes at once.
func jitter(d time.Duration) time.Duration {
	return d - d/10 + rand.N(d/5+1)
}

// repairLoop runs a repair pass every repair interval (or repairDuty
// times the last pass's duration, when longer) until ctx ends.
func (n *Node) repairLoop(ctx context.Context) {
	wait := min(n.repairInterval(), repairFirstDelay)
	for {
		if !sleepCtx(ctx, jitter(wait)) {
			return
		}
		start := time.Now()
		if err := n.repairPass(ctx); err != nil && ctx.Err() == nil {
			n.log.Warn("repair pass", "err", err)
		}
		wait = repairWait(n.repairInterval(), time.Since(start))
	}
}

// repairWait is the pause before the next pass after one that took took:
// the interval, or repairDuty times took when longer.
func repairWait(interval, took time.Duration) time.Duration {
	return max(interval, repairDuty*took)
}

// repairPass checks every object version this node holds once, and
// retries the repair of damaged ones.
func (n *Node) repairPass(ctx context.Context) error {
	start := time.Now()
	n.retryDamaged()
	cands, err := n.candidates()
	if err != nil {
		return err
	}
	ps := &passStats{seen: make(map[swarm.ID]struct{}), collecting: cands, unverified: make(map[swarm.ID][]peer.ID)}
	err = n.walkHeld(ctx, func(items []heldItem) error {
		n.repairItems(ctx, items, ps)
		return ctx.Err()
	})
	if err != nil {
		return err
	}
	if err := n.verifyLeads(ctx, ps.unverified); err != nil {
		return err
	}
	n.repairs.mu.Lock()
	defer n.repairs.mu.Unlock()
	n.repairs.last = start
	n.repairs.heldObjects, n.repairs.heldBytes, n.repairs.under = ps.heldObjects, ps.heldBytes, ps.under
	n.repairs.passes++
	n.log.Debug("repair pass", "held", ps.heldObjects, "bytes", ps.heldBytes, "under_replicated", ps.under, "took", time.Since(start))
	return nil
}

// repairPlan is one held version and its live holders.
type repairPlan struct {
	item    heldItem
	holders []peer.ID
	first   bool // first time this pass sees the infohash
	// collecting: a version with these bytes left a catalogue here and
	// the sweep has not decided yet; this node leads no copy of it.
	collecting bool
	// unverified, when set, receives the copies this node would lead
	// instead of the queue: the version is a replica recorded long
	// enough ago that a live version must be in this node's catalogue.
	unverified map[swarm.ID][]peer.ID
}

// repairItems checks one batch: holders per version, one have request
// per holder, then a decision per version.
func (n *Node) repairItems(ctx context.Context, items []heldItem, ps *passStats) {
	live := n.liveMembers()
	plans := make([]repairPlan, 0, len(items))
	asks := make(map[peer.ID][]swarm.ID)
	for _, it := range items {
		obj, err := n.swarm.Stat(ctx, it.id)
		if err != nil {
			if !errors.Is(err, swarm.ErrNotFound) {
				n.log.Warn("repair: stat held object", "id", it.id, "err", err)
			}
			continue // released meanwhile
		}
		_, collecting := ps.collecting[it.id]
		pl := repairPlan{item: it, holders: n.holdersAmong(ctx, it.id, live), first: ps.count(it.id, obj.Size), collecting: collecting}
		if it.replica && len(it.own) == 0 && time.Since(it.recorded) >= n.repairCheckAge() {
			pl.unverified = ps.unverified
		}
		plans = append(plans, pl)
		for _, p := range pl.holders {
			if p != n.mem.id {
				asks[p] = append(asks[p], it.id)
			}
		}
	}
	has := n.askHolders(ctx, asks)
	var adopt []heldItem
	for _, pl := range plans {
		under, own := n.repairOne(ctx, pl, has)
		if under && pl.first {
			ps.under++
		}
		if own {
			adopt = append(adopt, pl.item)
		}
	}
	n.adoptReplicas(ctx, adopt)
}

// adoptParallel is how many adoptions run at once: each is a few synced
// badger commits, which badger groups into one fsync when they arrive
// together. One at a time, the first pass after 100 000 PUTs spent 40 s
// of half a core, most of it syncing the write-ahead log.
const adoptParallel = 16

// adoptReplicas records replica references on items (adoptReplica),
// adoptParallel at a time.
func (n *Node) adoptReplicas(ctx context.Context, items []heldItem) {
	var wg sync.WaitGroup
	sem := make(chan struct{}, adoptParallel)
	for _, it := range items {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			n.adoptReplica(ctx, it)
		})
	}
	wg.Wait()
}

// askHolders sends the have requests of a batch, at most haveParallel at
// once. A holder that does not answer is taken to have nothing: it is
// counted as no copy, so the worst outcome is a replication too many.
func (n *Node) askHolders(ctx context.Context, asks map[peer.ID][]swarm.ID) map[peer.ID]map[swarm.ID]bool {
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
			has, err := n.askHaveAll(ctx, p, ids)
			if err != nil && ctx.Err() == nil {
				n.log.Debug("have request", "peer", p, "err", err)
			}
			mu.Lock()
			out[p] = has
			mu.Unlock()
		})
	}
	wg.Wait()
	return out
}

// repairOne decides for one version (see the top of this file), reports
// whether it has fewer than R copies among its live holders, and whether
// this node should adopt its own version as a replica (left to the
// caller, which adopts a batch at once). A node that is the version's
// only live holder adopts nothing: nobody asks it what it has.
func (n *Node) repairOne(ctx context.Context, pl repairPlan, has map[peer.ID]map[swarm.ID]bool) (under, adopt bool) {
	id, self := pl.item.id, n.mem.id
	selfOK := !n.damage.isDamaged(id)
	selfIn := slices.Contains(pl.holders, self)
	copies := 0
	var missing []peer.ID
	for _, p := range pl.holders {
		switch {
		case p == self:
			if selfOK {
				copies++
			}
		case has[p][id]:
			copies++
		default:
			missing = append(missing, p)
		}
	}
	adopt = selfIn && selfOK && !pl.item.replica && len(pl.holders) > 1
	if len(missing) > 0 && !pl.collecting && n.leads(pl, has, selfOK) {
		if pl.unverified != nil {
			pl.unverified[id] = missing
		} else {
			n.queueRepair(id, missing)
		}
	}
	if !selfIn && len(missing) == 0 && len(pl.holders) >= n.replicas() {
		n.giveUp(ctx, pl.item)
	}
	return copies < n.replicas(), adopt
}

// leads reports whether this node is the first, in placement order (the
// holders, then this node when it is not one), to have a copy of pl's
// version.
func (n *Node) leads(pl repairPlan, has map[peer.ID]map[swarm.ID]bool, selfOK bool) bool {
	for _, p := range pl.holders {
		if p == n.mem.id {
			return selfOK
		}
		if has[p][pl.item.id] {
			return false
		}
	}
	return selfOK
}

// verifyLeads queues the copies of leads whose version a live entry of
// this node's catalogue references (liveRefs: every bucket revalidated,
// one pass over the catalogue, only for a pass with such copies), and
// notes the others as collection candidates: a replica nothing
// references is a deleted version whose notice this node missed (it was
// down, or the deleter crashed before sending it), and copying it to the
// holders that collected theirs would spread it again.
func (n *Node) verifyLeads(ctx context.Context, leads map[swarm.ID][]peer.ID) error {
	if len(leads) == 0 {
		return nil
	}
	ids := make(map[swarm.ID]time.Time, len(leads))
	for id := range leads {
		ids[id] = time.Time{}
	}
	live, err := n.liveRefs(ctx, ids)
	if err != nil && ctx.Err() == nil {
		// Copies too many cost disk until the orphan scan finds them;
		// copies too few can cost the object.
		n.log.Warn("repair: catalogue not checked, copying every replica", "copies", len(leads), "err", err)
		err, live = nil, make(map[swarm.ID]bool, len(leads))
		for id := range leads {
			live[id] = true
		}
	}
	if err != nil {
		return err
	}
	for id, missing := range leads {
		if live[id] {
			n.queueRepair(id, missing)
			continue
		}
		n.log.Info("repair: no version references the replica, collecting instead", "id", id)
		n.markCandidate(id)
	}
	return nil
}

// queueRepair queues a replication of id to each of holders and starts
// them (on a network: the retry loop runs them otherwise, once started).
func (n *Node) queueRepair(id swarm.ID, holders []peer.ID) {
	tasks := make([]replTask, len(holders))
	for i, p := range holders {
		tasks[i] = replTask{id: id, holder: p}
	}
	if err := n.enqueue(tasks); err != nil {
		n.log.Warn("queue repair", "id", id, "err", err)
		return
	}
	if n.hostp.Load() == nil {
		return
	}
	for _, t := range tasks {
		n.startTask(t, nil)
	}
}

// giveUp drops what this node holds of it now that its live holders, of
// which this node is not one, all confirmed their copies.
func (n *Node) giveUp(ctx context.Context, it heldItem) {
	if it.replica {
		n.dropHeldReplica(ctx, it.id)
	}
	for _, o := range it.own {
		n.handover(ctx, o)
	}
}
