package store

import (
	"bytes"
	"context"

	"github.com/d3s/d3s/catalog/internal/entry"
	"github.com/d3s/d3s/dht/record"

	"github.com/dgraph-io/badger/v4"
)

// The outbox holds every write this node acknowledged until a published
// record contains it, or a newer version of the same key: Put, Delete,
// CompleteUpload, CreateBucket and DeleteBucket write it in the same
// transaction as the local index, so it is durable before the client
// hears 200, and it survives restarts.

// OutboxKeys returns every bucket (and bucket list) with unpublished
// writes.
func (s *Store) OutboxKeys() ([]Key, error) {
	var keys []Key
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(prefixOutbox)})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			user, bucket, ok := splitOutboxKey(it.Item().Key())
			if !ok {
				continue
			}
			if k := (Key{user, bucket}); len(keys) == 0 || keys[len(keys)-1] != k {
				keys = append(keys, k)
			}
		}
		return nil
	})
	return keys, err
}

// OutboxEntries returns the unpublished entries of a bucket in key order.
func (s *Store) OutboxEntries(k Key) ([]*Entry, error) {
	var out []*Entry
	prefix := outboxPrefix(k.User, k.Bucket)
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix, PrefetchValues: true})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			e := new(Entry)
			if err := it.Item().Value(e.UnmarshalBinary); err != nil {
				return err
			}
			out = append(out, e)
		}
		return nil
	})
	return out, err
}

// Confirm removes from the outbox of k what published carries: entries,
// or for the bucket list the pseudo-entries of outboxBuckets.
func (s *Store) Confirm(ctx context.Context, k Key, published []*Entry) error {
	if k.Bucket != "" {
		return s.confirmEntries(ctx, k, published)
	}
	return s.update(ctx, func(txn *badger.Txn) error {
		for _, e := range published {
			okey := outboxKey(k.User, "", e.Key)
			val, found, err := getValue(txn, okey)
			if err != nil || !found {
				return err
			}
			if ob, err := entry.UnmarshalBucketRec(val); err == nil && ob.Latest().Compare(e.Time) > 0 {
				continue
			}
			if err := txn.Delete(okey); err != nil {
				return err
			}
		}
		return nil
	})
}

// OutboxBuckets returns the unpublished bucket creations and deletions of
// a user as pseudo-entries: Key is the bucket name, Time the later of
// creation and deletion.
func (s *Store) OutboxBuckets(k Key) ([]*Entry, error) {
	var out []*Entry
	prefix := outboxPrefix(k.User, "")
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix, PrefetchValues: true})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			var r entry.BucketRec
			err := it.Item().Value(func(v []byte) error {
				var err error
				r, err = entry.UnmarshalBucketRec(v)
				return err
			})
			if err != nil {
				return err
			}
			out = append(out, &Entry{Key: string(it.Item().Key()[len(prefix):]), Time: r.Latest()})
		}
		return nil
	})
	return out, err
}

// confirmEntries removes from the outbox every entry whose key now has
// a published version at least as new as the one in published.
func (s *Store) confirmEntries(ctx context.Context, k Key, published []*Entry) error {
	for len(published) > 0 {
		n := min(len(published), TxnChunk)
		chunk := published[:n]
		published = published[n:]
		err := s.update(ctx, func(txn *badger.Txn) error {
			for _, e := range chunk {
				if _, err := confirmOne(txn, k, e); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// confirmOne drops the outbox entry of e.Key if e is as new or newer, and
// returns the entry it dropped (nil if none).
func confirmOne(txn *badger.Txn, k Key, e *Entry) (*Entry, error) {
	okey := outboxKey(k.User, k.Bucket, e.Key)
	ob, err := getEntry(txn, okey)
	if err != nil || ob == nil || ob.Newer(e) {
		return nil, err
	}
	return ob, txn.Delete(okey)
}

// TxnChunk bounds the keys written in one transaction by merges, purges
// and confirmations, far below badger's transaction size limit.
const TxnChunk = 256

// LoadBase returns the raw record last merged for k, nil when none.
func (s *Store) LoadBase(k Key) ([]byte, error) {
	var raw []byte
	err := s.db.View(func(txn *badger.Txn) error {
		var err error
		raw, _, err = getValue(txn, baseKey(k.User, k.Bucket))
		return err
	})
	return raw, err
}

// StoreBase records raw as the last record merged for k.
func (s *Store) StoreBase(ctx context.Context, k Key, raw []byte) error {
	return s.update(ctx, func(txn *badger.Txn) error {
		return txn.Set(baseKey(k.User, k.Bucket), raw)
	})
}

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

// OutboxEmpty reports whether k has no unpublished writes.
func (s *Store) OutboxEmpty(k Key) (bool, error) {
	var has bool
	err := s.db.View(func(txn *badger.Txn) error {
		has = hasPrefix(txn, outboxPrefix(k.User, k.Bucket))
		return nil
	})
	return !has, err
}

// BucketRec returns k's bucket record, live or tombstone.
func (s *Store) BucketRec(k Key) (entry.BucketRec, bool, error) {
	var (
		r     entry.BucketRec
		found bool
	)
	err := s.db.View(func(txn *badger.Txn) error {
		var err error
		r, found, err = getBucketRec(txn, k.User, k.Bucket)
		return err
	})
	return r, found, err
}
