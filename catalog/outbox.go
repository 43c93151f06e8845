package catalog

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

// outboxKeys returns every bucket (and bucket list) with unpublished
// writes.
func (c *Catalog) outboxKeys() ([]bkey, error) {
	var keys []bkey
	err := c.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(prefixOutbox)})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			user, bucket, ok := splitOutboxKey(it.Item().Key())
			if !ok {
				continue
			}
			if k := (bkey{user, bucket}); len(keys) == 0 || keys[len(keys)-1] != k {
				keys = append(keys, k)
			}
		}
		return nil
	})
	return keys, err
}

// outboxEntries returns the unpublished entries of a bucket in key order.
func (c *Catalog) outboxEntries(k bkey) ([]*Entry, error) {
	var out []*Entry
	prefix := outboxPrefix(k.user, k.bucket)
	err := c.db.View(func(txn *badger.Txn) error {
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

// confirm removes from the outbox of k what published carries: entries,
// or for the bucket list the pseudo-entries of outboxBuckets.
func (c *Catalog) confirm(ctx context.Context, k bkey, published []*Entry) error {
	if k.bucket != "" {
		return c.confirmEntries(ctx, k, published)
	}
	return c.update(ctx, func(txn *badger.Txn) error {
		for _, e := range published {
			okey := outboxKey(k.user, "", e.Key)
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

// outboxBuckets returns the unpublished bucket creations and deletions of
// a user as pseudo-entries: Key is the bucket name, Time the later of
// creation and deletion.
func (c *Catalog) outboxBuckets(k bkey) ([]*Entry, error) {
	var out []*Entry
	prefix := outboxPrefix(k.user, "")
	err := c.db.View(func(txn *badger.Txn) error {
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
func (c *Catalog) confirmEntries(ctx context.Context, k bkey, published []*Entry) error {
	for len(published) > 0 {
		n := min(len(published), txnChunk)
		chunk := published[:n]
		published = published[n:]
		err := c.update(ctx, func(txn *badger.Txn) error {
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
func confirmOne(txn *badger.Txn, k bkey, e *Entry) (*Entry, error) {
	okey := outboxKey(k.user, k.bucket, e.Key)
	ob, err := getEntry(txn, okey)
	if err != nil || ob == nil || ob.Newer(e) {
		return nil, err
	}
	return ob, txn.Delete(okey)
}

// txnChunk bounds the keys written in one transaction by merges, purges
// and confirmations, far below badger's transaction size limit.
const txnChunk = 256

// loadBase returns the raw record last merged for k, nil when none.
func (c *Catalog) loadBase(k bkey) ([]byte, error) {
	var raw []byte
	err := c.db.View(func(txn *badger.Txn) error {
		var err error
		raw, _, err = getValue(txn, baseKey(k.user, k.bucket))
		return err
	})
	return raw, err
}

// storeBase records raw as the last record merged for k.
func (c *Catalog) storeBase(ctx context.Context, k bkey, raw []byte) error {
	return c.update(ctx, func(txn *badger.Txn) error {
		return txn.Set(baseKey(k.user, k.bucket), raw)
	})
}

// purgeBucket removes the entries and unpublished writes of a deleted
// bucket that are not newer than its deletion, in bounded transactions;
// the object versions removed go to SyncConfig.OnReplaced, and the
// bucket's snapshot blobs become garbage when the head merged last is not
// newer than the deletion.
func (c *Catalog) purgeBucket(ctx context.Context, user, bucket string, deleted Time) error {
	for _, prefix := range [][]byte{objectsPrefix(user, bucket), outboxPrefix(user, bucket)} {
		for {
			removed, n, err := c.purgeChunk(ctx, prefix, deleted)
			if err != nil {
				return err
			}
			if bytes.HasPrefix(prefix, []byte(prefixObject)) {
				c.replaced(removed)
			}
			if n < txnChunk {
				break
			}
		}
	}
	return c.purgeManifest(ctx, bkey{user, bucket}, deleted)
}

// purgeManifest forgets k's manifest, its blobs becoming garbage, unless
// the head merged last is newer than deleted (a re-created bucket's).
func (c *Catalog) purgeManifest(ctx context.Context, k bkey, deleted Time) error {
	baseRaw, err := c.loadBase(k)
	if err != nil {
		return err
	}
	if base, err := record.UnmarshalCatalogHead(baseRaw); baseRaw != nil && err == nil && fromHLC(base.Time).Compare(deleted) > 0 {
		return nil
	}
	return c.setManifest(ctx, k, storedManifest{})
}

// purgeChunk deletes up to txnChunk entries under prefix dated at or
// before deleted and returns the object versions (not delete markers)
// among them and how many it deleted.
func (c *Catalog) purgeChunk(ctx context.Context, prefix []byte, deleted Time) ([]*Entry, int, error) {
	var (
		doomed  [][]byte
		removed []*Entry
	)
	err := c.update(ctx, func(txn *badger.Txn) error {
		doomed, removed = doomed[:0], removed[:0]
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix, PrefetchValues: true})
		for it.Rewind(); it.Valid() && len(doomed) < txnChunk; it.Next() {
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

// outboxEmpty reports whether k has no unpublished writes.
func (c *Catalog) outboxEmpty(k bkey) (bool, error) {
	var has bool
	err := c.db.View(func(txn *badger.Txn) error {
		has = hasPrefix(txn, outboxPrefix(k.user, k.bucket))
		return nil
	})
	return !has, err
}

// bucketRec returns k's bucket record, live or tombstone.
func (c *Catalog) bucketRec(k bkey) (entry.BucketRec, bool, error) {
	var (
		r     entry.BucketRec
		found bool
	)
	err := c.db.View(func(txn *badger.Txn) error {
		var err error
		r, found, err = getBucketRec(txn, k.user, k.bucket)
		return err
	})
	return r, found, err
}
