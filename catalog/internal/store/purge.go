package store

import (
	"bytes"
	"context"

	"github.com/dgraph-io/badger/v4"

	"github.com/d3s/d3s/dht/record"
)

// PurgeBucket removes the entries and unpublished writes of a deleted
// bucket that are not newer than its deletion, in bounded transactions;
// the object versions removed go to Config.Replaced, and the
// bucket's snapshot blobs become garbage when the head merged last is not
// newer than the deletion.
func (s *Store) PurgeBucket(ctx context.Context, user, bucket string, deleted Time) error {
	for _, prefix := range [][]byte{objectsPrefix(user, bucket), outboxPrefix(user, bucket)} {
		for {
			removed, n, err := s.purgeChunk(ctx, prefix, deleted)
			if err != nil {
				return err
			}
			if bytes.HasPrefix(prefix, []byte(prefixObject)) {
				s.replaced(removed)
			}
			if n < TxnChunk {
				break
			}
		}
	}
	return s.purgeManifest(ctx, Key{user, bucket}, deleted)
}

// purgeManifest forgets k's manifest, its blobs becoming garbage, unless
// the head merged last is newer than deleted (a re-created bucket's).
func (s *Store) purgeManifest(ctx context.Context, k Key, deleted Time) error {
	baseRaw, err := s.LoadBase(k)
	if err != nil {
		return err
	}
	if base, err := record.UnmarshalCatalogHead(baseRaw); baseRaw != nil && err == nil && fromHLC(base.Time).Compare(deleted) > 0 {
		return nil
	}
	return s.SetManifest(ctx, k, StoredManifest{})
}

// purgeChunk deletes up to TxnChunk entries under prefix dated at or
// before deleted and returns the object versions (not delete markers)
// among them and how many it deleted.
func (s *Store) purgeChunk(ctx context.Context, prefix []byte, deleted Time) ([]*Entry, int, error) {
	var (
		doomed  [][]byte
		removed []*Entry
	)
	err := s.update(ctx, func(txn *badger.Txn) error {
		doomed, removed = doomed[:0], removed[:0]
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix, PrefetchValues: true})
		for it.Rewind(); it.Valid() && len(doomed) < TxnChunk; it.Next() {
			e := new(Entry)
			err := it.Item().Value(e.UnmarshalBinary)
			if err != nil || e.Time.Compare(deleted) <= 0 {
				doomed = append(doomed, it.Item().KeyCopy(nil))
			}
			if err == nil && e.Time.Compare(deleted) <= 0 && !e.DeleteMarker {
				removed = append(removed, e)
			}
		}
		it.Close()
		for _, key := range doomed {
			if err := txn.Delete(key); err != nil {
				return err
			}
		}
		return nil
	})
	return removed, len(doomed), err
}
