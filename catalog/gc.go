package catalog

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/d3s/d3s/catalog/internal/snapshot"
)

// Snapshot garbage (doc.go, "Releasing snapshot blobs"): when the
// manifest merged for a bucket changes, the blobs of the old one that the
// new one does not list are recorded under prefixGarbage with the time;
// the sweep releases a recorded blob once it has been unreferenced for
// BlobGrace and the bucket's current manifest still does not list it.

// storedManifest is the manifest recorded for a bucket.
type storedManifest struct {
	id   []byte
	data []byte
	m    snapshot.Manifest
}

// blobs returns the IDs of every blob of sm: the manifest and its runs.
func (sm storedManifest) blobs() [][]byte {
	if sm.id == nil {
		return nil
	}
	out := [][]byte{sm.id}
	for _, r := range sm.m.Runs {
		out = append(out, r.ID)
	}
	return out
}

// references reports whether id is sm's manifest or one of its runs.
func (sm storedManifest) references(id []byte) bool {
	return sm.id != nil && (bytes.Equal(sm.id, id) || sm.m.Has(id))
}

// getManifest reads the manifest recorded for k in txn; an unreadable one
// counts as none, so the next head is merged in full.
func getManifest(txn *badger.Txn, k bkey) (storedManifest, error) {
	val, found, err := getValue(txn, manifestKey(k.user, k.bucket))
	if err != nil || !found || len(val) < snapshot.IDLen {
		return storedManifest{}, err
	}
	sm := storedManifest{id: val[:snapshot.IDLen], data: val[snapshot.IDLen:]}
	m, err := snapshot.DecodeManifest(sm.id, sm.data)
	if err != nil {
		return storedManifest{}, nil
	}
	sm.m = m
	return sm, nil
}

// loadManifest returns the manifest recorded for k.
func (c *Catalog) loadManifest(k bkey) (storedManifest, error) {
	var sm storedManifest
	err := c.db.View(func(txn *badger.Txn) error {
		var err error
		sm, err = getManifest(txn, k)
		return err
	})
	return sm, err
}

// setManifest records sm (none when sm.id is nil) as k's manifest and
// records the blobs of the previous one that sm does not list as garbage.
// When sm's tombstone horizon is later than the previous one's, the delete
// markers dated before it leave the index (dropMarkers).
func (c *Catalog) setManifest(ctx context.Context, k bkey, sm storedManifest) error {
	var before int64
	err := c.update(ctx, func(txn *badger.Txn) error {
		old, err := getManifest(txn, k)
		before = old.m.Horizon
		if err != nil || bytes.Equal(old.id, sm.id) {
			return err
		}
		for _, id := range old.blobs() {
			if !sm.references(id) {
				if err := setGarbage(txn, k, id); err != nil {
					return err
				}
			}
		}
		if sm.id == nil {
			return txn.Delete(manifestKey(k.user, k.bucket))
		}
		return txn.Set(manifestKey(k.user, k.bucket), append(append([]byte(nil), sm.id...), sm.data...))
	})
	if err != nil || sm.m.Horizon <= before {
		return err
	}
	n, err := c.dropMarkers(ctx, k, Time{Wall: sm.m.Horizon})
	c.log.Debug("delete markers dropped", "user", k.user, "bucket", k.bucket, "markers", n, "horizon", sm.m.Horizon)
	return err
}

// setGarbage records id as unreferenced since now.
func setGarbage(txn *badger.Txn, k bkey, id []byte) error {
	return txn.Set(garbageKey(k.user, k.bucket, id), binary.AppendVarint(nil, time.Now().UnixNano()))
}

// addGarbage records blobs that may be unreferenced (blobs stored or
// fetched for a head that was not merged); the sweep keeps those the
// current manifest lists.
func (c *Catalog) addGarbage(ctx context.Context, k bkey, ids [][]byte) error {
	if len(ids) == 0 {
		return nil
	}
	return c.update(ctx, func(txn *badger.Txn) error {
		for _, id := range ids {
			if err := setGarbage(txn, k, id); err != nil {
				return err
			}
		}
		return nil
	})
}

// garbageItem is one recorded unreferenced blob.
type garbageItem struct {
	k   bkey
	id  []byte
	key []byte
}

// dueGarbage returns the blobs recorded as unreferenced before cutoff.
func (c *Catalog) dueGarbage(cutoff time.Time) ([]garbageItem, error) {
	var out []garbageItem
	err := c.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(prefixGarbage), PrefetchValues: true})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			key := it.Item().KeyCopy(nil)
			k, id, ok := splitGarbageKey(key)
			val, err := it.Item().ValueCopy(nil)
			if err != nil {
				return err
			}
			since, n := binary.Varint(val)
			if !ok || n <= 0 || since <= cutoff.UnixNano() {
				out = append(out, garbageItem{k: k, id: id, key: key})
			}
		}
		return nil
	})
	return out, err
}

// sweep releases the snapshot blobs unreferenced for BlobGrace that the
// current manifest of their bucket does not list, and forgets the others
// that it lists (they are recorded again when a later manifest drops
// them).
func (s *syncer) sweep(ctx context.Context) error {
	due, err := s.c.dueGarbage(time.Now().Add(-s.cfg.BlobGrace))
	if err != nil {
		return err
	}
	var errs []error
	for _, g := range due {
		if err := s.sweepOne(ctx, g); err != nil {
			errs = append(errs, fmt.Errorf("release snapshot blob %x: %w", g.id, err))
		}
	}
	return errors.Join(errs...)
}

// sweepOne releases one due blob unless its bucket's manifest lists it,
// under the bucket's work lock so that no merge or publish of the bucket
// runs meanwhile, and forgets it.
func (s *syncer) sweepOne(ctx context.Context, g garbageItem) error {
	st := s.stateOf(g.k)
	st.work.Lock()
	defer st.work.Unlock()
	var live bool
	err := s.c.db.View(func(txn *badger.Txn) error {
		sm, err := getManifest(txn, g.k)
		live = sm.references(g.id)
		return err
	})
	if err != nil {
		return err
	}
	if g.id != nil && !live {
		if err := s.cfg.Blobs.ReleaseBlob(ctx, g.id); err != nil {
			return err
		}
		s.log.Debug("snapshot blob released", "user", g.k.user, "bucket", g.k.bucket, "id", fmt.Sprintf("%x", g.id))
	}
	return s.c.update(ctx, func(txn *badger.Txn) error { return txn.Delete(g.key) })
}
