package node

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io"
	"time"

	"github.com/d3s/d3s/internal/kv"

	"github.com/dgraph-io/badger/v4"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/protocol"

	"github.com/d3s/d3s/catalog"
	"github.com/d3s/d3s/swarm"
)

// releaseProtocol tells a holder that a version of an object left the
// catalogue of the sender: the request is the 20-byte infohash, there is
// no answer. The holder only notes the infohash as a candidate for
// collection (gcCandidatePrefix); its own sweep decides.
const releaseProtocol protocol.ID = "/d3s/release/1.0.0"

// Replica collection.
const (
	// gcCandidatePrefix marks, in badger, an infohash this node holds a
	// replica reference on and that a version referencing it left a
	// catalogue; the value is when (8-byte Unix nanoseconds).
	gcCandidatePrefix = "node/gc/"
	// DefaultReplicaGC is Config.ReplicaGC when unset.
	DefaultReplicaGC = time.Minute
	// gcCandidateTTL is how long a candidate still referenced by a live
	// entry is checked again: a deletion notified before its head was
	// published must not be forgotten at once, but an infohash another
	// key shares stops costing sweeps, and the repair loop leads no copy
	// of a candidate meanwhile (the orphan scan catches a deletion
	// published later than this).
	gcCandidateTTL = 2 * time.Minute
	// gcCandidateGrace is how long a candidate waits before it may be
	// released: the deleter notifies the holders before its head is
	// published, so a sweep right after a notice may fetch the head
	// without the deletion, and one right after a merge may not have
	// merged the bucket's other live keys yet.
	gcCandidateGrace = 5 * time.Second
	// releaseNotifyTimeout bounds notifying one version's holders.
	releaseNotifyTimeout = 10 * time.Second
)

// retire is called for a version this node's own Put, Delete or Complete
// removed from the index: its reference is released (releaseEntry) and
// its holders are told, so that they collect their replicas without
// having to read the bucket.
func (n *Node) retire(ctx context.Context, e *catalog.Entry) {
	n.releaseEntry(ctx, e)
	if e == nil || e.DeleteMarker || n.host == nil || !n.track() {
		return
	}
	go func() {
		defer n.bg.Done()
		n.notifyHolders(e.InfoHash)
	}()
}

// notifyHolders sends releaseProtocol for id to its holders but this
// node; failures are only logged (the holder's own merges and repair
// catch up).
func (n *Node) notifyHolders(id swarm.ID) {
	ctx, cancel := context.WithTimeout(n.ctx, releaseNotifyTimeout)
	defer cancel()
	for _, p := range without(n.holders(ctx, id), n.mem.id) {
		st, err := n.host.NewStream(ctx, p, releaseProtocol)
		if err != nil {
			n.log.Debug("release notice", "id", id, "to", p, "err", err)
			continue
		}
		st.SetDeadline(time.Now().Add(releaseNotifyTimeout))
		if _, err := st.Write(id[:]); err != nil {
			st.Reset()
			continue
		}
		st.Close()
	}
}

// handleRelease serves one releaseProtocol notice.
func (n *Node) handleRelease(st network.Stream) {
	st.SetReadDeadline(time.Now().Add(requestReadTimeout))
	var id swarm.ID
	if _, err := io.ReadFull(st, id[:]); err != nil {
		st.Reset()
		return
	}
	n.markCandidate(id)
}

// markCandidate notes id for the next sweep if this node holds a replica
// reference on it, or is fetching a copy that may become one (the
// notice can overtake the replication it follows: a PUT acknowledged
// with fewer than R copies completes in the background).
func (n *Node) markCandidate(id swarm.ID) {
	n.replicaMu.Lock()
	defer n.replicaMu.Unlock()
	err := n.db.Update(func(txn *badger.Txn) error {
		_, found, err := kv.Get(txn, replicaIndexKey(id))
		if err != nil || (!found && n.fetching[id] == 0) {
			return err
		}
		_, found, err = kv.Get(txn, gcCandidateKey(id))
		if err != nil || found {
			return err
		}
		return txn.Set([]byte(gcCandidateKey(id)), binary.BigEndian.AppendUint64(nil, uint64(time.Now().UnixNano())))
	})
	if err != nil {
		n.log.Warn("note replica for collection", "id", id, "err", err)
	}
}

func gcCandidateKey(id swarm.ID) string { return gcCandidatePrefix + hex.EncodeToString(id[:]) }

// candidateTime decodes when a candidate was noted (the zero time for a
// malformed value, which makes it due).
func candidateTime(val []byte) time.Time {
	if len(val) != 8 {
		return time.Time{}
	}
	return time.Unix(0, int64(binary.BigEndian.Uint64(val)))
}

// gcLoop sweeps the candidates every Config.ReplicaGC until ctx ends.
func (n *Node) gcLoop(ctx context.Context) {
	every := n.cfg.ReplicaGC
	if every <= 0 {
		every = DefaultReplicaGC
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := n.sweepReplicas(ctx); err != nil && ctx.Err() == nil {
				n.log.Warn("replica collection", "err", err)
			}
		}
	}
}

// sweepReplicas releases every candidate replica no live entry of this
// node's catalogue references, after revalidating every bucket it knows
// (liveRefs) and once the candidate is gcCandidateGrace old; a
// referenced candidate is kept for gcCandidateTTL, then forgotten.
func (n *Node) sweepReplicas(ctx context.Context) error {
	cands, err := n.candidates()
	if err != nil || len(cands) == 0 {
		return err
	}
	live, err := n.liveRefs(ctx, cands)
	if err != nil {
		return err
	}
	for id, since := range cands {
		switch {
		case !live[id] && time.Since(since) >= gcCandidateGrace:
			n.dropReplica(ctx, id, true)
		case time.Since(since) > gcCandidateTTL:
			n.dropReplica(ctx, id, false)
		}
	}
	return nil
}

// candidates reads the candidate keys and when each was noted.
func (n *Node) candidates() (map[swarm.ID]time.Time, error) {
	out := make(map[swarm.ID]time.Time)
	err := n.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(gcCandidatePrefix), PrefetchValues: true})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			var id swarm.ID
			raw, err := hex.DecodeString(string(it.Item().Key()[len(gcCandidatePrefix):]))
			if err != nil || len(raw) != len(id) {
				continue
			}
			copy(id[:], raw)
			val, err := it.Item().ValueCopy(nil)
			if err != nil {
				return err
			}
			out[id] = candidateTime(val)
		}
		return nil
	})
	return out, err
}

// dropReplica forgets candidate id and, when release is set, its replica
// reference too: both keys go in one transaction, under replicaMu, and
// only while the candidate is still noted, since a replicate request
// meanwhile (markReplica clears the candidate) means a new version needs
// the copy. While a copy of id is being fetched nothing happens: the
// fetch ends in markReplica, and the candidate must outlive it.
func (n *Node) dropReplica(ctx context.Context, id swarm.ID, release bool) {
	n.replicaMu.Lock()
	defer n.replicaMu.Unlock()
	if n.fetching[id] > 0 {
		return
	}
	held := false
	err := n.db.Update(func(txn *badger.Txn) error {
		_, noted, err := kv.Get(txn, gcCandidateKey(id))
		if err != nil || !noted {
			return err
		}
		if release {
			if _, held, err = kv.Get(txn, replicaIndexKey(id)); err != nil {
				return err
			}
			if held {
				if err := txn.Delete([]byte(replicaIndexKey(id))); err != nil {
					return err
				}
			}
		}
		return txn.Delete([]byte(gcCandidateKey(id)))
	})
	if err != nil {
		n.log.Warn("collect replica", "id", id, "err", err)
		return
	}
	if held {
		n.release(ctx, id)
		n.log.Debug("replica collected", "id", id)
	}
}

// liveRefs reports which of cands a live entry of this node's catalogue
// references. Every bucket of every user this node knows is revalidated
// first (catalog.Revalidate: the DHT lookup runs to its end, however long
// that takes, and the best record found is merged), then scanned: the
// cost is one pass over the whole catalogue per sweep that has
// candidates, which is what makes the answer right when several keys, or
// users, share one content-addressed infohash. The DHT answers a lookup
// that reaches no peer with the newest record this node has seen, so a
// node connected to no other member fails (errNoMembers) rather than
// decide on what it merged alone.
func (n *Node) liveRefs(ctx context.Context, cands map[swarm.ID]time.Time) (map[swarm.ID]bool, error) {
	if n.catSync && len(n.liveMembers()) < 2 {
		return nil, errNoMembers
	}
	users, err := n.users.List(ctx)
	if err != nil {
		return nil, err
	}
	live := make(map[swarm.ID]bool)
	for _, u := range users {
		if err := n.liveRefsOf(ctx, u.AccessKeyID, cands, live); err != nil {
			return nil, err
		}
	}
	return live, nil
}

// liveRefsOf adds to live the candidates user's buckets reference.
func (n *Node) liveRefsOf(ctx context.Context, user string, cands map[swarm.ID]time.Time, live map[swarm.ID]bool) error {
	if err := n.cat.Revalidate(ctx, user, ""); err != nil {
		return err
	}
	buckets, err := n.cat.ListBuckets(ctx, user)
	if err != nil {
		return err
	}
	for _, b := range buckets {
		if err := n.cat.Revalidate(ctx, user, b.Name); err != nil {
			return err
		}
		if err := scanBucket(ctx, n.cat, user, b.Name, cands, live); err != nil {
			return err
		}
	}
	return nil
}

// scanBucket adds to live the candidates bucket's entries reference.
func scanBucket(ctx context.Context, cat *catalog.Catalog, user, bucket string, cands map[swarm.ID]time.Time, live map[swarm.ID]bool) error {
	it, err := cat.Objects(ctx, user, bucket, "")
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
