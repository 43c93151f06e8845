package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/d3s/d3s/catalog/internal/snapshot"
)

// StoredManifest is the manifest recorded for a bucket.
type StoredManifest struct {
	ID   []byte            // the manifest's blob ID, nil when none
	Data []byte            // the manifest blob
	M    snapshot.Manifest // its content
}

// Blobs returns the IDs of every blob of sm: the manifest and its runs.
func (sm StoredManifest) Blobs() [][]byte {
	if sm.ID == nil {
		return nil
	}
	out := [][]byte{sm.ID}
	for _, r := range sm.M.Runs {
		out = append(out, r.ID)
	}
	return out
}

// References reports whether id is sm's manifest or one of its runs.
func (sm StoredManifest) References(id []byte) bool {
	return sm.ID != nil && (bytes.Equal(sm.ID, id) || sm.M.Has(id))
}

// getManifest reads the manifest recorded for k in txn; an unreadable one
// counts as none, so the next head is merged in full.
func getManifest(txn *badger.Txn, k Key) (StoredManifest, error) {
	val, found, err := getValue(txn, manifestKey(k.User, k.Bucket))
	if err != nil || !found {
		return StoredManifest{}, err
	}
	id, data, ok := snapshot.SplitStored(val)
	if !ok {
		return StoredManifest{}, nil
	}
	sm := StoredManifest{ID: id, Data: data}
	m, err := snapshot.DecodeManifest(sm.ID, sm.Data)
	if err != nil {
		return StoredManifest{}, nil
	}
	sm.M = m
	return sm, nil
}

// LoadManifest returns the manifest recorded for k.
func (s *Store) LoadManifest(k Key) (StoredManifest, error) {
	var sm StoredManifest
	err := s.db.View(func(txn *badger.Txn) error {
		var err error
		sm, err = getManifest(txn, k)
		return err
	})
	return sm, err
}

// SetManifest records sm (none when sm.ID is nil) as k's manifest and
// records the blobs of the previous one that sm does not list as garbage.
// When sm's tombstone horizon is later than the previous one's, the delete
// markers dated before it leave the index (dropMarkers).
func (s *Store) SetManifest(ctx context.Context, k Key, sm StoredManifest) error {
	var before int64
	err := s.update(ctx, func(txn *badger.Txn) error {
		old, err := getManifest(txn, k)
		before = old.M.Horizon
		if err != nil || bytes.Equal(old.ID, sm.ID) {
			return err
		}
		for _, id := range old.Blobs() {
			if !sm.References(id) {
				if err := setGarbage(txn, k, id); err != nil {
					return err
				}
			}
		}
		if sm.ID == nil {
			return txn.Delete(manifestKey(k.User, k.Bucket))
		}
		return txn.Set(manifestKey(k.User, k.Bucket), append(append([]byte(nil), sm.ID...), sm.Data...))
	})
	if err != nil || sm.M.Horizon <= before {
		return err
	}
	n, err := s.DropMarkers(ctx, k, Time{Wall: sm.M.Horizon})
	s.log.Debug("delete markers dropped", "user", k.User, "bucket", k.Bucket, "markers", n, "horizon", sm.M.Horizon)
	return err
}

// setGarbage records id as unreferenced since now.
func setGarbage(txn *badger.Txn, k Key, id []byte) error {
	return txn.Set(garbageKey(k.User, k.Bucket, id), binary.AppendVarint(nil, time.Now().UnixNano()))
}

// AddGarbage records blobs that may be unreferenced (blobs stored or
// fetched for a head that was not merged); the sweep keeps those the
// current manifest lists.
func (s *Store) AddGarbage(ctx context.Context, k Key, ids [][]byte) error {
	if len(ids) == 0 {
		return nil
	}
	return s.update(ctx, func(txn *badger.Txn) error {
		for _, id := range ids {
			if err := setGarbage(txn, k, id); err != nil {
				return err
			}
		}
		return nil
	})
}

// GarbageItem is one recorded unreferenced blob.
type GarbageItem struct {
	K   Key    // the bucket whose manifest dropped it
	ID  []byte // the blob's ID; nil or malformed when its key does not decode
	key []byte
}

// DueGarbage returns the blobs recorded as unreferenced before cutoff.
func (s *Store) DueGarbage(cutoff time.Time) ([]GarbageItem, error) {
	var out []GarbageItem
	err := s.db.View(func(txn *badger.Txn) error {
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
				out = append(out, GarbageItem{K: k, ID: id, key: key})
			}
		}
		return nil
	})
	return out, err
}

// ForgetGarbage drops the record of g (released, or listed again).
func (s *Store) ForgetGarbage(ctx context.Context, g GarbageItem) error {
	return s.update(ctx, func(txn *badger.Txn) error { return txn.Delete(g.key) })
}
