package store

import (
	"context"
	"fmt"

	"github.com/dgraph-io/badger/v4"

	"github.com/d3s/d3s/catalog/internal/entry"
)

// DropMarkers removes from k's index the delete markers dated before
// horizon, except those whose key has an outbox entry (an unpublished
// write of the key), in bounded transactions; it returns how many it
// removed.
func (s *Store) DropMarkers(ctx context.Context, k Key, horizon Time) (int, error) {
	prefix := objectsPrefix(k.User, k.Bucket)
	from, total := prefix, 0
	for from != nil {
		var n int
		var next []byte
		err := s.update(ctx, func(txn *badger.Txn) error {
			var err error
			n, next, err = dropMarkersChunk(txn, k, prefix, from, horizon)
			return err
		})
		if err != nil {
			return total, fmt.Errorf("drop delete markers of %s/%s: %w", k.User, k.Bucket, err)
		}
		total += n
		from = next
	}
	return total, nil
}

// dropMarkersChunk is one transaction of dropMarkers: it scans up to
// scanChunk entries from key from and returns how many markers it removed
// and where to go on (nil at the end).
func dropMarkersChunk(txn *badger.Txn, k Key, prefix, from []byte, horizon Time) (int, []byte, error) {
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
		_, pending, err := getValue(txn, outboxKey(k.User, k.Bucket, string(key[len(prefix):])))
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

// DropLost removes the entries of lost that are still the current entry
// of their key and have no outbox entry, in bounded transactions, and
// hands the object versions among them to Config.Replaced.
func (s *Store) DropLost(ctx context.Context, k Key, lost []*Entry) error {
	for len(lost) > 0 {
		chunk := lost[:min(len(lost), TxnChunk)]
		lost = lost[len(chunk):]
		var removed []*Entry
		err := s.update(ctx, func(txn *badger.Txn) error {
			removed = removed[:0]
			for _, e := range chunk {
				key := ObjectKey(k.User, k.Bucket, e.Key)
				cur, err := getEntry(txn, key)
				if err != nil {
					return err
				}
				_, pending, err := getValue(txn, outboxKey(k.User, k.Bucket, e.Key))
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
		s.replaced(removed)
	}
	return nil
}

// ScanEntries calls fn with every entry of k's index, delete markers
// included, in key order, over one consistent snapshot.
func (s *Store) ScanEntries(k Key, fn func(e *Entry)) error {
	return s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: objectsPrefix(k.User, k.Bucket), PrefetchValues: true})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			e := new(Entry)
			if err := it.Item().Value(e.UnmarshalBinary); err != nil {
				return err
			}
			fn(e)
		}
		return nil
	})
}
