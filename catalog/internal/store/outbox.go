package store

import (
	"context"

	"github.com/d3s/d3s/catalog/internal/entry"
	"github.com/d3s/d3s/dht/record"

	"github.com/dgraph-io/badger/v4"
)

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

// Outbox is the store's outbox: it holds every write this node
// acknowledged, per bucket and per bucket list, until a published record
// contains it or a newer version of the same key. Put, Delete,
// CompleteUpload, CreateBucket and DeleteBucket write it in the same
// transaction as the index, so it is durable before the client hears
// 200, and it survives restarts; merges confirm it (ApplyRemote,
// MergeList) and purges empty it (PurgeBucket). Its own methods read it,
// confirm what a settled record of ours carries, and put back what a
// published record lost.
type Outbox struct{ s *Store }

// Outbox returns the store's outbox.
func (s *Store) Outbox() Outbox { return Outbox{s} }

// Keys returns every bucket (and bucket list) with unpublished
// writes.
func (o Outbox) Keys() ([]Key, error) {
	var keys []Key
	err := o.s.db.View(func(txn *badger.Txn) error {
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

// Entries returns the unpublished entries of a bucket in key order.
func (o Outbox) Entries(k Key) ([]*Entry, error) {
	var out []*Entry
	prefix := outboxPrefix(k.User, k.Bucket)
	err := o.s.db.View(func(txn *badger.Txn) error {
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
func (o Outbox) Confirm(ctx context.Context, k Key, published []*Entry) error {
	if k.Bucket != "" {
		return o.confirmEntries(ctx, k, published)
	}
	return o.s.update(ctx, func(txn *badger.Txn) error {
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

// Buckets returns the unpublished bucket creations and deletions of
// a user as pseudo-entries: Key is the bucket name, Time the later of
// creation and deletion.
func (o Outbox) Buckets(k Key) ([]*Entry, error) {
	var out []*Entry
	prefix := outboxPrefix(k.User, "")
	err := o.s.db.View(func(txn *badger.Txn) error {
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
func (o Outbox) confirmEntries(ctx context.Context, k Key, published []*Entry) error {
	for len(published) > 0 {
		n := min(len(published), TxnChunk)
		chunk := published[:n]
		published = published[n:]
		err := o.s.update(ctx, func(txn *badger.Txn) error {
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

// Empty reports whether k has no unpublished writes.
func (o Outbox) Empty(k Key) (bool, error) {
	var has bool
	err := o.s.db.View(func(txn *badger.Txn) error {
		has = hasPrefix(txn, outboxPrefix(k.User, k.Bucket))
		return nil
	})
	return !has, err
}

// RequeueBuckets puts bucket records back into the user's bucket-list
// outbox unless it holds them or newer ones already, and returns how many
// it put back.
func (o Outbox) RequeueBuckets(ctx context.Context, user string, list []record.BucketListEntry) (int, error) {
	n := 0
	err := o.s.update(ctx, func(txn *badger.Txn) error {
		n = 0
		for _, e := range list {
			rec := entry.BucketRec{Created: fromHLC(e.Created), Deleted: fromHLC(e.Deleted)}
			okey := outboxKey(user, "", e.Name)
			val, found, err := getValue(txn, okey)
			if err != nil {
				return err
			}
			if ob, err := entry.UnmarshalBucketRec(val); found && err == nil && !rec.Newer(ob) {
				continue
			}
			if err := txn.Set(okey, rec.Marshal()); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}

// Reenqueue puts this node's current entries of k newer than since and
// not older than cutoff back into the outbox, unless the outbox holds the
// key's entry already or a newer one; it returns how many it put back.
// It scans the bucket's index in bounded transactions.
func (o Outbox) Reenqueue(ctx context.Context, k Key, since, cutoff Time) (int, error) {
	prefix := objectsPrefix(k.User, k.Bucket)
	from, total := prefix, 0
	for from != nil {
		var n int
		var next []byte
		err := o.s.update(ctx, func(txn *badger.Txn) error {
			var err error
			n, next, err = o.reenqueueChunk(txn, k, prefix, from, since, cutoff)
			return err
		})
		if err != nil {
			return total, err
		}
		total += n
		from = next
	}
	return total, nil
}

// reenqueueChunk is one transaction of reenqueue: it scans up to
// scanChunk entries from key from and returns how many it put back and
// where to go on (nil at the end).
func (o Outbox) reenqueueChunk(txn *badger.Txn, k Key, prefix, from []byte, since, cutoff Time) (int, []byte, error) {
	var own []*Entry
	var next []byte
	it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix, PrefetchValues: true})
	scanned := 0
	for it.Seek(from); it.Valid(); it.Next() {
		if scanned == scanChunk {
			next = it.Item().KeyCopy(nil)
			break
		}
		scanned++
		e := new(Entry)
		if err := it.Item().Value(e.UnmarshalBinary); err != nil {
			it.Close()
			return 0, nil, err
		}
		if e.Writer == o.s.nodeID && e.Time.Compare(since) > 0 && e.Time.Compare(cutoff) >= 0 {
			own = append(own, e)
		}
	}
	it.Close()
	n := 0
	for _, e := range own {
		okey := outboxKey(k.User, k.Bucket, e.Key)
		ob, err := getEntry(txn, okey)
		if err != nil {
			return 0, nil, err
		}
		if ob != nil && !e.Newer(ob) {
			continue
		}
		val, err := e.MarshalBinary()
		if err != nil {
			return 0, nil, err
		}
		if err := txn.Set(okey, val); err != nil {
			return 0, nil, err
		}
		n++
	}
	return n, next, nil
}
