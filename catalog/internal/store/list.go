package store

import (
	"context"
	"slices"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/d3s/d3s/catalog/internal/entry"
	"github.com/d3s/d3s/dht/record"
)

// mergeBuckets applies published bucket entries in txn and returns the
// buckets whose deletion won over a live local bucket, with the deletion
// time, and the user's bucket-list mark when the list raised it (zero
// otherwise): it carries a creation or deletion of this node's outbox as
// is.
func (s *Store) mergeBuckets(txn *badger.Txn, user string, list []record.BucketListEntry) (map[string]Time, Time, error) {
	limit := Time{Wall: time.Now().Add(record.MaxClockSkew).UnixNano()}
	doomed := make(map[string]Time)
	var ours Time
	for _, e := range list {
		remote := entry.BucketRec{Created: fromHLC(e.Created), Deleted: fromHLC(e.Deleted)}
		if remote.Latest().Compare(limit) > 0 {
			continue
		}
		s.clock.Observe(remote.Latest())
		local, found, err := getBucketRec(txn, user, e.Name)
		if err != nil {
			return nil, Time{}, err
		}
		if !found || remote.Newer(local) {
			if err := txn.Set(bucketKey(user, e.Name), remote.Marshal()); err != nil {
				return nil, Time{}, err
			}
			if found && local.Live() && !remote.Live() {
				doomed[e.Name] = remote.Deleted
			}
		}
		if s.strong.Load() {
			continue
		}
		same, err := confirmBucket(txn, user, e.Name, remote)
		if err != nil {
			return nil, Time{}, err
		}
		if same && remote.Latest().Compare(ours) > 0 {
			ours = remote.Latest()
		}
	}
	if ours.IsZero() {
		return doomed, Time{}, nil
	}
	raised, err := raiseMark(txn, Key{User: user}, ours)
	if err != nil || !raised {
		return doomed, Time{}, err
	}
	return doomed, ours, nil
}

// confirmBucket drops the outbox entry of a bucket if pub is as new, and
// reports whether pub was that very entry.
func confirmBucket(txn *badger.Txn, user, name string, pub entry.BucketRec) (bool, error) {
	okey := outboxKey(user, "", name)
	val, found, err := getValue(txn, okey)
	if err != nil || !found {
		return false, err
	}
	ob, err := entry.UnmarshalBucketRec(val)
	if err == nil && ob.Newer(pub) {
		return false, nil
	}
	return err == nil && ob == pub, txn.Delete(okey)
}

// NextList builds the next bucket list from every local bucket record.
// Past record.MaxBuckets entries the oldest tombstones are left out: their
// deletions are by then older than any write still in flight.
func (s *Store) NextList(k Key) (record.BucketListRecord, error) {
	rec := record.BucketListRecord{Seq: 1}
	baseRaw, err := s.LoadBase(k)
	if err != nil {
		return rec, err
	}
	if base, err := record.UnmarshalBucketListRecord(baseRaw); baseRaw != nil && err == nil {
		rec.Seq = base.Seq + 1
	}
	err = s.db.View(func(txn *badger.Txn) error {
		return scanBuckets(txn, k.User, func(name string, r entry.BucketRec) {
			if record.ValidBucketName(name) {
				rec.Buckets = append(rec.Buckets, record.BucketListEntry{Name: name, Created: toHLC(r.Created), Deleted: toHLC(r.Deleted)})
			}
		})
	})
	rec.Buckets = pruneTombstones(rec.Buckets, record.MaxBuckets)
	return rec, err
}

// pruneTombstones drops the oldest tombstones until at most max entries
// remain, keeping name order.
func pruneTombstones(list []record.BucketListEntry, max int) []record.BucketListEntry {
	if len(list) <= max {
		return list
	}
	var dead []record.BucketListEntry
	for _, e := range list {
		if !e.Live() {
			dead = append(dead, e)
		}
	}
	slices.SortFunc(dead, func(a, b record.BucketListEntry) int { return a.Deleted.Compare(b.Deleted) })
	drop := make(map[string]bool)
	for _, e := range dead[:min(len(dead), len(list)-max)] {
		drop[e.Name] = true
	}
	return slices.DeleteFunc(list, func(e record.BucketListEntry) bool { return drop[e.Name] })
}

// MergeList applies the published bucket list entries of user (the
// list record's Buckets) and returns the buckets whose deletion won over
// a live local bucket, with the deletion time, and the user's bucket-list
// mark when the list raised it (zero otherwise). The caller purges the
// doomed buckets.
func (s *Store) MergeList(ctx context.Context, user string, list []record.BucketListEntry) (doomed map[string]Time, mark Time, err error) {
	err = s.update(ctx, func(txn *badger.Txn) error {
		var err error
		doomed, mark, err = s.mergeBuckets(txn, user, list)
		return err
	})
	return doomed, mark, err
}

// toHLC and fromHLC convert between the catalog's clock time and the
// records' HLC, which have the same fields.
func toHLC(t Time) record.HLC   { return record.HLC{Wall: t.Wall, Logical: t.Logical} }
func fromHLC(t record.HLC) Time { return Time{Wall: t.Wall, Logical: t.Logical} }
