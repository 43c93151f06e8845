package ledger

import (
	"context"
	"encoding/hex"
	"errors"

	"github.com/dgraph-io/badger/v4"

	"github.com/d3s/d3s/catalog"
	"github.com/d3s/d3s/swarm"
)

// handedKey names exactly one of this node's entries: a version ID is
// unique among one writer's versions (an HLC reading).
func handedKey(e *catalog.Entry) []byte {
	return []byte(handedPrefix + hex.EncodeToString(e.InfoHash[:]) + "/" + e.VersionID)
}

// Own reports whether e is an object version this node wrote: it took
// exactly one swarm reference for it (PUT, COPY or Complete).
func (l *Ledger) Own(e *catalog.Entry) bool {
	return e != nil && !e.DeleteMarker && e.Writer == l.self
}

// HoldsData reports whether this node holds a swarm reference for e: one
// for every version its own PUT, COPY or CompleteMultipartUpload created
// until it handed it over to the version's holders, and none for a
// version merged from another node (see the package doc).
func (l *Ledger) HoldsData(e *catalog.Entry) bool {
	if !l.Own(e) {
		return false
	}
	handed, err := l.handedOver(e)
	if err != nil {
		l.log.Warn("read handover marker", "id", swarm.ID(e.InfoHash), "err", err)
	}
	// On a read error claim the reference: the caller then reports
	// damage rather than reading from holders that may not exist.
	return !handed
}

// handedOver reports whether this node released its reference on its own
// version e to e's holders.
func (l *Ledger) handedOver(e *catalog.Entry) (found bool, err error) {
	err = l.db.View(func(txn *badger.Txn) error {
		_, err := txn.Get(handedKey(e))
		if errors.Is(err, badger.ErrKeyNotFound) {
			return nil
		}
		found = err == nil
		return err
	})
	return found, err
}

// ReleaseEntry releases the reference of a version that left the index
// (replaced, deleted or purged) if this node holds one, and notes its
// infohash for collection when this node holds a replica of it (the
// replica goes only once no live entry references the infohash). A
// version handed over loses its marker instead: its reference went then.
func (l *Ledger) ReleaseEntry(ctx context.Context, e *catalog.Entry) {
	if l.Own(e) {
		l.handMu.Lock()
		handed, err := l.takeHanded(e)
		switch {
		case err != nil:
			// Keeping a reference leaks bytes; releasing one not held
			// would take another version's.
			l.log.Warn("release replaced version", "id", swarm.ID(e.InfoHash), "err", err)
		case !handed:
			l.Release(ctx, e.InfoHash)
		}
		l.handMu.Unlock()
	}
	if e != nil && !e.DeleteMarker {
		l.MarkCandidate(e.InfoHash)
	}
}

// takeHanded deletes e's handover marker and reports whether there was one.
func (l *Ledger) takeHanded(e *catalog.Entry) (found bool, err error) {
	err = l.db.Update(func(txn *badger.Txn) error {
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

// HandOver releases this node's reference on its own version want once
// the version's R live holders confirmed their copies and this node is
// not one of them. current reads want's key's current entry: nothing
// happens when want is no longer it (ReleaseEntry then releases it, or
// did). The marker is written before the release (see the package doc).
func (l *Ledger) HandOver(ctx context.Context, want *catalog.Entry, current func(context.Context) (*catalog.Entry, error)) {
	l.handMu.Lock()
	defer l.handMu.Unlock()
	cur, err := current(ctx)
	if err != nil || cur.VersionID != want.VersionID || cur.Writer != want.Writer || cur.InfoHash != want.InfoHash {
		return
	}
	handed, err := l.handedOver(cur)
	if err != nil || handed {
		return
	}
	if err := l.db.Update(func(txn *badger.Txn) error { return txn.Set(handedKey(cur), nil) }); err != nil {
		l.log.Warn("hand over version", "id", swarm.ID(cur.InfoHash), "err", err)
		return
	}
	l.Release(ctx, cur.InfoHash)
	l.log.Debug("version handed over to its holders", "id", swarm.ID(cur.InfoHash), "key", cur.Key)
}

// OwnState reports, for each of this node's own versions vs, whether it
// was handed over and whether its infohash is also a replica, in one
// read.
func (l *Ledger) OwnState(vs []catalog.Entry) (handed, replica []bool, err error) {
	handed, replica = make([]bool, len(vs)), make([]bool, len(vs))
	err = l.db.View(func(txn *badger.Txn) error {
		for i := range vs {
			if _, err := txn.Get(handedKey(&vs[i])); err == nil {
				handed[i] = true
				continue
			} else if !errors.Is(err, badger.ErrKeyNotFound) {
				return err
			}
			var err error
			if replica[i], err = has(txn, replicaKey(vs[i].InfoHash)); err != nil {
				return err
			}
		}
		return nil
	})
	return handed, replica, err
}
