package catalog

import (
	"context"
	"fmt"

	"github.com/dgraph-io/badger/v4"

	"github.com/d3s/d3s/catalog/internal/entry"
	"github.com/d3s/d3s/catalog/internal/snapshot"
	"github.com/d3s/d3s/dht/record"
)

// Tombstone GC (doc.go, "Delete markers"). A full compaction (cutRun)
// drops the delete markers older than TombstoneTTL together with every
// version they shadowed and records the cutoff as the manifest's
// horizon. A node that merges a manifest with a later horizon drops the
// markers dated before it from its index too (dropMarkers): the
// snapshot no longer holds anything they shadowed, and the index holds
// one entry per key, so nothing is left for them to hide. A node whose
// last merged head is older than the horizon was away while markers it
// never saw were dropped; it removes the old entries the snapshot lost
// (resync), the versions those markers deleted.

// dropMarkers removes from k's index the delete markers dated before
// horizon, except those whose key has an outbox entry (an unpublished
// write of the key), in bounded transactions; it returns how many it
// removed.
func (c *Catalog) dropMarkers(ctx context.Context, k bkey, horizon Time) (int, error) {
	prefix := objectsPrefix(k.user, k.bucket)
	from, total := prefix, 0
	for from != nil {
		var n int
		var next []byte
		err := c.update(ctx, func(txn *badger.Txn) error {
			var err error
			n, next, err = dropMarkersChunk(txn, k, prefix, from, horizon)
			return err
		})
		if err != nil {
			return total, fmt.Errorf("drop delete markers of %s/%s: %w", k.user, k.bucket, err)
		}
		total += n
		from = next
	}
	return total, nil
}

// dropMarkersChunk is one transaction of dropMarkers: it scans up to
// scanChunk entries from key from and returns how many markers it removed
// and where to go on (nil at the end).
func dropMarkersChunk(txn *badger.Txn, k bkey, prefix, from []byte, horizon Time) (int, []byte, error) {
	var doomed [][]byte
	var next []byte
	it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix})
	scanned := 0
	for it.Seek(from); it.Valid(); it.Next() {
		if scanned == scanChunk {
			next = it.Item().KeyCopy(nil)
			break
		}
		scanned++
		old := false
		err := it.Item().Value(func(v []byte) error {
			if !entry.IsMarker(v) {
				return nil
			}
			e := new(Entry)
			if err := e.UnmarshalBinary(v); err != nil {
				return err
			}
			old = e.Time.Compare(horizon) < 0
			return nil
		})
		if err != nil {
			it.Close()
			return 0, nil, err
		}
		if old {
			doomed = append(doomed, it.Item().KeyCopy(nil))
		}
	}
	it.Close()
	n := 0
	for _, key := range doomed {
		_, pending, err := getValue(txn, outboxKey(k.user, k.bucket, string(key[len(prefix):])))
		if err != nil {
			return 0, nil, err
		}
		if pending {
			continue
		}
		if err := txn.Delete(key); err != nil {
			return 0, nil, err
		}
		n++
	}
	return n, next, nil
}

// resync removes from k's index the entries dated before the horizon of
// sm (the manifest just merged for head h) that neither its runs nor h's
// recent entries hold, unless an outbox entry holds their key; the object
// versions removed go to OnReplaced. It is for a node whose last merged
// head is older than the horizon: a full compaction dropped markers it
// never merged, and with them the versions they deleted, which this
// node's index still shows and no merge would remove.
func (s *syncer) resync(ctx context.Context, k bkey, sm storedManifest, h record.CatalogHead) error {
	cur, err := s.openRuns(ctx, sm.m, h.Writer)
	if err != nil {
		return err
	}
	recent := make(map[string]bool, len(h.Entries))
	for _, e := range s.decodeEntries(k, h.Entries) {
		recent[e.Key] = true
	}
	horizon := Time{Wall: sm.m.Horizon}
	prefix := objectsPrefix(k.user, k.bucket)
	var lost []*Entry
	err = s.c.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix, PrefetchValues: true})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			e := new(Entry)
			if err := it.Item().Value(e.UnmarshalBinary); err != nil {
				return err
			}
			if e.Time.Compare(horizon) < 0 && !recent[e.Key] && !cur.Has(e.Key) {
				lost = append(lost, e)
			}
		}
		return cur.Err()
	})
	if err != nil {
		return fmt.Errorf("resync %s/%s: %w", k.user, k.bucket, err)
	}
	if len(lost) > 0 {
		s.log.Info("dropping entries deleted while this node was away", "user", k.user, "bucket", k.bucket, "entries", len(lost))
	}
	return s.c.dropLost(ctx, k, lost)
}

// dropLost removes the entries of lost that are still the current entry
// of their key and have no outbox entry, in bounded transactions, and
// hands the object versions among them to OnReplaced.
func (c *Catalog) dropLost(ctx context.Context, k bkey, lost []*Entry) error {
	for len(lost) > 0 {
		chunk := lost[:min(len(lost), txnChunk)]
		lost = lost[len(chunk):]
		var removed []*Entry
		err := c.update(ctx, func(txn *badger.Txn) error {
			removed = removed[:0]
			for _, e := range chunk {
				key := objectKey(k.user, k.bucket, e.Key)
				cur, err := getEntry(txn, key)
				if err != nil {
					return err
				}
				_, pending, err := getValue(txn, outboxKey(k.user, k.bucket, e.Key))
				if err != nil || pending || cur == nil || cur.Newer(e) || e.Newer(cur) {
					if err != nil {
						return err
					}
					continue
				}
				if err := txn.Delete(key); err != nil {
					return err
				}
				if !cur.DeleteMarker {
					removed = append(removed, cur)
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		c.replaced(removed)
	}
	return nil
}

// openRuns fetches and opens every run of m.
func (s *syncer) openRuns(ctx context.Context, m snapshot.Manifest, from string) (*snapshot.Cursor, error) {
	var readers []*snapshot.RunReader
	for _, ref := range m.Runs {
		data, err := s.cfg.Blobs.GetBlob(ctx, ref.ID, from)
		if err != nil {
			return nil, fmt.Errorf("get run %x: %w", ref.ID, err)
		}
		r, err := snapshot.OpenRun(ref.ID, data)
		if err != nil {
			return nil, err
		}
		readers = append(readers, r)
	}
	return snapshot.NewCursor(readers), nil
}
