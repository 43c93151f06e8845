package node

import (
	"context"
	"encoding/hex"
	"errors"
	"time"

	"github.com/d3s/d3s/internal/kv"

	"github.com/dgraph-io/badger/v4"

	"github.com/d3s/d3s/catalog"
	"github.com/d3s/d3s/swarm"
)

// handedPrefix marks, in badger, a version this node wrote whose swarm
// reference it released because the version's R live holders confirmed
// their copies while this node was not one of them (repair.go): the key
// is node/handed/<infohash hex>/<version ID>, the value empty. A version
// ID is unique among one writer's versions (an HLC reading), so the key
// names exactly one of this node's entries.
const handedPrefix = "node/handed/"

func handedKey(e *catalog.Entry) []byte {
	return []byte(handedPrefix + hex.EncodeToString(e.InfoHash[:]) + "/" + e.VersionID)
}

// ownEntry reports whether e is an object version this node wrote: it
// took exactly one swarm reference for it (PUT, COPY or Complete).
func (n *Node) ownEntry(e *catalog.Entry) bool {
	return e != nil && !e.DeleteMarker && e.Writer == n.mem.id.String()
}

// holdsData reports whether this node holds a swarm reference for e: one
// for every version its own PUT, COPY or CompleteMultipartUpload created
// (Writer is this node) until it handed it over to the version's holders,
// and none for a version merged from another node, whose bytes stay on
// their writer until replication. The swarm counts references per
// content, so releasing for a remote version whose bytes happen to be
// stored here too would take the reference of a local version.
func (n *Node) holdsData(e *catalog.Entry) bool {
	if !n.ownEntry(e) {
		return false
	}
	handed, err := n.handedOver(e)
	if err != nil {
		n.log.Warn("read handover marker", "id", swarm.ID(e.InfoHash), "err", err)
	}
	// On a read error claim the reference: the caller then reports
	// damage rather than reading from holders that may not exist.
	return !handed
}

// handedOver reports whether this node released its reference on its own
// version e to e's holders.
func (n *Node) handedOver(e *catalog.Entry) (found bool, err error) {
	err = n.db.View(func(txn *badger.Txn) error {
		_, err := txn.Get(handedKey(e))
		if errors.Is(err, badger.ErrKeyNotFound) {
			return nil
		}
		found = err == nil
		return err
	})
	return found, err
}

// releaseEntry releases the reference of a version that left the index
// (replaced, deleted or purged) if this node holds one, and notes its
// infohash for collection when this node holds a replica of it (gc.go:
// the replica goes only once no live entry references the infohash). A
// version handed over loses its marker instead: its reference went then.
// handMu orders this against handover, so that a reference is released
// exactly once.
func (n *Node) releaseEntry(ctx context.Context, e *catalog.Entry) {
	if n.ownEntry(e) {
		n.handMu.Lock()
		handed, err := n.takeHanded(e)
		switch {
		case err != nil:
			// Keeping a reference leaks bytes; releasing one not held
			// would take another version's.
			n.log.Warn("release replaced version", "id", swarm.ID(e.InfoHash), "err", err)
		case !handed:
			n.release(ctx, e.InfoHash)
		}
		n.handMu.Unlock()
	}
	if e != nil && !e.DeleteMarker {
		n.markCandidate(e.InfoHash)
	}
}

// takeHanded deletes e's handover marker and reports whether there was one.
func (n *Node) takeHanded(e *catalog.Entry) (found bool, err error) {
	err = n.db.Update(func(txn *badger.Txn) error {
		_, err := txn.Get(handedKey(e))
		if errors.Is(err, badger.ErrKeyNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		found = true
		return txn.Delete(handedKey(e))
	})
	return found, err
}

// handover releases this node's reference on its own version o once the
// version's R live holders confirmed their copies and this node is not
// one of them. The marker is written before the release: a crash in
// between leaks one reference (bytes kept until the version is
// replaced), where the other order could release it twice. Nothing
// happens when o is no longer its key's current entry: releaseEntry
// then releases it (or did).
func (n *Node) handover(ctx context.Context, o ownedVersion) {
	n.handMu.Lock()
	defer n.handMu.Unlock()
	cur, err := n.cat.Get(ctx, o.user, o.bucket, o.e.Key)
	if err != nil || cur.VersionID != o.e.VersionID || cur.Writer != o.e.Writer || cur.InfoHash != o.e.InfoHash {
		return
	}
	handed, err := n.handedOver(cur)
	if err != nil || handed {
		return
	}
	if err := n.db.Update(func(txn *badger.Txn) error { return txn.Set(handedKey(cur), nil) }); err != nil {
		n.log.Warn("hand over version", "id", swarm.ID(cur.InfoHash), "err", err)
		return
	}
	n.release(ctx, cur.InfoHash)
	n.log.Debug("version handed over to its holders", "id", swarm.ID(cur.InfoHash), "key", cur.Key)
}

// adoptReplica records a replica reference on it.id, which this node
// holds as the writer of it.own and whose holder it now is, so that it
// answers haveProtocol for it like any other holder. If none of it.own
// is still current by then, the new replica becomes a collection
// candidate (gc.go) rather than outliving its versions.
func (n *Node) adoptReplica(ctx context.Context, it heldItem) {
	since := time.Now()
	if err := n.swarm.Ref(ctx, it.id); err != nil {
		if !errors.Is(err, swarm.ErrNotFound) {
			n.log.Warn("adopt own version as replica", "id", it.id, "err", err)
		}
		return
	}
	added, err := n.markReplica(it.id, since)
	if err != nil || !added {
		n.release(ctx, it.id)
		return
	}
	for _, o := range it.own {
		if cur, err := n.cat.Get(ctx, o.user, o.bucket, o.e.Key); err == nil && cur.InfoHash == it.id {
			return
		}
	}
	n.markCandidate(it.id)
}

// dropHeldReplica forgets this node's replica reference on id (and any
// collection candidate) and releases it: the version's live holders all
// confirmed their copies and this node is not one of them.
func (n *Node) dropHeldReplica(ctx context.Context, id swarm.ID) {
	n.replicaMu.Lock()
	defer n.replicaMu.Unlock()
	held := false
	err := n.db.Update(func(txn *badger.Txn) error {
		var err error
		if _, held, err = kv.Get(txn, replicaIndexKey(id)); err != nil || !held {
			return err
		}
		if err := txn.Delete([]byte(replicaIndexKey(id))); err != nil {
			return err
		}
		return txn.Delete([]byte(gcCandidateKey(id)))
	})
	if err != nil {
		n.log.Warn("drop replica of a non-holder", "id", id, "err", err)
		return
	}
	if held {
		n.release(ctx, id)
		n.log.Debug("replica handed over to the live holders", "id", id)
	}
}
