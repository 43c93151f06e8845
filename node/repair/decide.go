package repair

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/d3s/d3s/catalog"
	"github.com/d3s/d3s/swarm"
)

// Plan is one held version and its live holders.
type Plan struct {
	Item    Item
	Holders []peer.ID
	// Collecting: a version with these bytes left a catalogue here and
	// the sweep has not decided yet; this node leads no copy of it.
	Collecting bool
	// first: the first time this pass sees the infohash.
	first bool
	// unverified, when set, receives the copies this node would lead
	// instead of the queue: the version is a replica recorded long
	// enough ago that a live version must be in this node's catalogue.
	unverified map[swarm.ID][]peer.ID
}

// Decide decides for one version (see the package doc), reports whether
// it has fewer than R copies among its live holders (has: what each
// holder answered), and whether this node should adopt its own version
// as a replica (left to the caller, which adopts a batch at once). A
// node that is the version's only live holder adopts nothing: nobody
// asks it what it has.
func (r *Repairer) Decide(ctx context.Context, pl Plan, has map[peer.ID]map[swarm.ID]bool) (under, adopt bool) {
	id, self := pl.Item.ID, r.place.Self()
	selfOK := !r.damage.isDamaged(id)
	selfIn := slices.Contains(pl.Holders, self)
	copies := 0
	var missing []peer.ID
	for _, p := range pl.Holders {
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
	adopt = selfIn && selfOK && !pl.Item.Replica && len(pl.Holders) > 1
	if len(missing) > 0 && !pl.Collecting && r.leads(pl, has, selfOK) {
		if pl.unverified != nil {
			pl.unverified[id] = missing
		} else {
			r.queue.Queue(id, missing)
		}
	}
	if !selfIn && len(missing) == 0 && len(pl.Holders) >= r.place.Replicas() {
		r.giveUp(ctx, pl.Item)
	}
	return copies < r.place.Replicas(), adopt
}

// leads reports whether this node is the first, in placement order (the
// holders, then this node when it is not one), to have a copy of pl's
// version.
func (r *Repairer) leads(pl Plan, has map[peer.ID]map[swarm.ID]bool, selfOK bool) bool {
	for _, p := range pl.Holders {
		if p == r.place.Self() {
			return selfOK
		}
		if has[p][pl.Item.ID] {
			return false
		}
	}
	return selfOK
}

// VerifyLeads queues the copies of leads whose version a live entry of
// this node's catalogue references (LiveRefs: every bucket revalidated,
// one pass over the catalogue, only for a pass with such copies), and
// notes the others as collection candidates: a replica nothing
// references is a deleted version whose notice this node missed (it was
// down, or the deleter crashed before sending it), and copying it to the
// holders that collected theirs would spread it again.
func (r *Repairer) VerifyLeads(ctx context.Context, leads map[swarm.ID][]peer.ID) error {
	if len(leads) == 0 {
		return nil
	}
	ids := make(map[swarm.ID]time.Time, len(leads))
	for id := range leads {
		ids[id] = time.Time{}
	}
	live, err := r.liveRefs(ctx, ids)
	if err != nil && ctx.Err() == nil {
		// Copies too many cost disk until the orphan scan finds them;
		// copies too few can cost the object.
		r.log.Warn("repair: catalogue not checked, copying every replica", "copies", len(leads), "err", err)
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
			r.queue.Queue(id, missing)
			continue
		}
		r.log.Info("repair: no version references the replica, collecting instead", "id", id)
		r.ledger.MarkCandidate(id)
	}
	return nil
}

// giveUp drops what this node holds of it now that its live holders, of
// which this node is not one, all confirmed their copies.
func (r *Repairer) giveUp(ctx context.Context, it Item) {
	if it.Replica {
		r.ledger.DropReplica(ctx, it.ID)
	}
	for _, o := range it.Own {
		r.ledger.HandOver(ctx, &o.Entry, func(ctx context.Context) (*catalog.Entry, error) {
			return r.cat.Current(ctx, o.User, o.Bucket, o.Entry.Key)
		})
	}
}

// adopt records a replica reference on it.ID, which this node holds as
// the writer of it.Own and whose holder it now is, so that it answers
// HaveProtocol for it like any other holder. If none of it.Own is still
// current by then, the new replica becomes a collection candidate rather
// than outliving its versions.
func (r *Repairer) adopt(ctx context.Context, it Item) {
	since := time.Now()
	if err := r.swarm.Ref(ctx, it.ID); err != nil {
		if !errors.Is(err, swarm.ErrNotFound) {
			r.log.Warn("adopt own version as replica", "id", it.ID, "err", err)
		}
		return
	}
	added, err := r.ledger.MarkReplica(it.ID, since)
	if err != nil || !added {
		r.ledger.Release(ctx, it.ID)
		return
	}
	for _, o := range it.Own {
		if cur, err := r.cat.Current(ctx, o.User, o.Bucket, o.Entry.Key); err == nil && cur.InfoHash == it.ID {
			return
		}
	}
	r.ledger.MarkCandidate(it.ID)
}
