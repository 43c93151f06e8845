package catalog

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/d3s/d3s/dht"
	"github.com/dgraph-io/badger/v4"
)

// getList reads and validates the user's bucket list record.
func (s *syncer) getList(ctx context.Context, k bkey) (raw []byte, r dht.BucketListRecord, found bool, err error) {
	key := dht.BucketsKey(k.user)
	raw, err = s.cfg.Records.GetRecord(ctx, key)
	if errors.Is(err, ErrNoRecord) {
		return nil, r, false, nil
	}
	if err != nil {
		return nil, r, false, fmt.Errorf("get bucket list of %s: %w", k.user, err)
	}
	if err := validator.Validate(key, raw); err != nil {
		return nil, r, false, fmt.Errorf("bucket list of %s: %w", k.user, err)
	}
	r, err = dht.UnmarshalBucketListRecord(raw)
	return raw, r, err == nil, err
}

// pullList merges the user's published bucket list; st.work of k is held.
func (s *syncer) pullList(ctx context.Context, k bkey) error {
	raw, r, found, err := s.getList(ctx, k)
	if err != nil || !found {
		return err
	}
	return s.mergeList(ctx, k, raw, r)
}

// mergeList merges a bucket list into the local bucket records: per
// name, the record whose later of creation and deletion is later wins. A
// bucket whose deletion wins loses its local entries.
func (s *syncer) mergeList(ctx context.Context, k bkey, raw []byte, r dht.BucketListRecord) error {
	baseRaw, err := s.c.loadBase(k)
	if err != nil {
		return err
	}
	if base, err := dht.UnmarshalBucketListRecord(baseRaw); baseRaw != nil && err == nil &&
		(r.Seq < base.Seq || bytes.Equal(raw, baseRaw)) {
		return nil
	}
	var doomed map[string]Time
	err = s.c.update(ctx, func(txn *badger.Txn) error {
		var err error
		doomed, err = s.c.mergeBuckets(txn, k.user, r.Buckets)
		return err
	})
	if err != nil {
		return err
	}
	for name, deleted := range doomed {
		if err := s.c.purgeBucket(ctx, k.user, name, deleted); err != nil {
			return err
		}
	}
	if err := s.c.storeBase(ctx, k, raw); err != nil {
		return err
	}
	s.notify()
	return nil
}

// mergeBuckets applies published bucket entries in txn and returns the
// buckets whose deletion won over a live local bucket, with the deletion
// time.
func (c *Catalog) mergeBuckets(txn *badger.Txn, user string, list []dht.BucketListEntry) (map[string]Time, error) {
	limit := Time{Wall: time.Now().Add(dht.MaxClockSkew).UnixNano()}
	doomed := make(map[string]Time)
	for _, e := range list {
		remote := bucketRec{Created: fromHLC(e.Created), Deleted: fromHLC(e.Deleted)}
		if remote.latest().Compare(limit) > 0 {
			continue
		}
		c.clock.Observe(remote.latest())
		local, found, err := getBucketRec(txn, user, e.Name)
		if err != nil {
			return nil, err
		}
		if !found || remote.newer(local) {
			if err := txn.Set(bucketKey(user, e.Name), marshalBucket(remote)); err != nil {
				return nil, err
			}
			if found && local.live() && !remote.live() {
				doomed[e.Name] = remote.Deleted
			}
		}
		if err := confirmBucket(txn, user, e.Name, remote); err != nil {
			return nil, err
		}
	}
	return doomed, nil
}

// confirmBucket drops the outbox entry of a bucket if pub is as new.
func confirmBucket(txn *badger.Txn, user, name string, pub bucketRec) error {
	okey := outboxKey(user, "", name)
	val, found, err := getValue(txn, okey)
	if err != nil || !found {
		return err
	}
	if ob, err := unmarshalBucket(val); err == nil && ob.newer(pub) {
		return nil
	}
	return txn.Delete(okey)
}

// publishList is one read-merge-publish attempt for the bucket list.
func (s *syncer) publishList(ctx context.Context, k bkey, st *bstate) (bool, time.Duration, error) {
	if err := s.pullList(ctx, k); err != nil {
		return false, 0, err
	}
	wait, publish, err := s.settle(ctx, k, st)
	if err != nil || !publish {
		return wait == 0 && err == nil, wait, err
	}
	pending, err := s.c.outboxBuckets(k)
	if err != nil {
		return false, 0, err
	}
	done, err := s.putList(ctx, k, st, pending)
	return done, 0, err
}

// putList publishes the next bucket list, carrying pending.
func (s *syncer) putList(ctx context.Context, k bkey, st *bstate, pending []*Entry) (bool, error) {
	rec, err := s.c.nextList(k)
	if err != nil {
		return false, err
	}
	priv, err := s.userKey(ctx, k.user)
	if err != nil {
		return false, err
	}
	rec.Sign(priv)
	raw := rec.Marshal()
	putErr := s.cfg.Records.PutRecord(ctx, dht.BucketsKey(k.user), raw)
	backRaw, back, found, err := s.getList(ctx, k)
	switch {
	case err != nil:
		return false, errors.Join(putErr, err)
	case found && bytes.Equal(backRaw, raw):
		if err := s.c.storeBase(ctx, k, raw); err != nil {
			return false, err
		}
		st.ours = &published{raw: raw, at: time.Now(), entries: byKey(pending)}
		return false, nil
	case found && back.Seq >= rec.Seq:
		if err := s.mergeList(ctx, k, backRaw, back); err != nil {
			return false, err
		}
		return false, fmt.Errorf("bucket list %d of %s: %w", rec.Seq, k.user, ErrLostRace)
	case putErr != nil:
		return false, fmt.Errorf("put bucket list of %s: %w", k.user, putErr)
	}
	return false, fmt.Errorf("bucket list %d of %s not visible after put", rec.Seq, k.user)
}

// nextList builds the next bucket list from every local bucket record.
// Past dht.MaxBuckets entries the oldest tombstones are left out: their
// deletions are by then older than any write still in flight.
func (c *Catalog) nextList(k bkey) (dht.BucketListRecord, error) {
	rec := dht.BucketListRecord{Seq: 1}
	baseRaw, err := c.loadBase(k)
	if err != nil {
		return rec, err
	}
	if base, err := dht.UnmarshalBucketListRecord(baseRaw); baseRaw != nil && err == nil {
		rec.Seq = base.Seq + 1
	}
	err = c.db.View(func(txn *badger.Txn) error {
		return scanBuckets(txn, k.user, func(name string, r bucketRec) {
			if dht.ValidBucketName(name) {
				rec.Buckets = append(rec.Buckets, dht.BucketListEntry{Name: name, Created: toHLC(r.Created), Deleted: toHLC(r.Deleted)})
			}
		})
	})
	rec.Buckets = pruneTombstones(rec.Buckets, dht.MaxBuckets)
	return rec, err
}

// pruneTombstones drops the oldest tombstones until at most max entries
// remain, keeping name order.
func pruneTombstones(list []dht.BucketListEntry, max int) []dht.BucketListEntry {
	if len(list) <= max {
		return list
	}
	var dead []dht.BucketListEntry
	for _, e := range list {
		if !e.Live() {
			dead = append(dead, e)
		}
	}
	slices.SortFunc(dead, func(a, b dht.BucketListEntry) int { return a.Deleted.Compare(b.Deleted) })
	drop := make(map[string]bool)
	for _, e := range dead[:min(len(dead), len(list)-max)] {
		drop[e.Name] = true
	}
	return slices.DeleteFunc(list, func(e dht.BucketListEntry) bool { return drop[e.Name] })
}
