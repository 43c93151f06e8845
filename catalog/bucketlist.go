package catalog

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/d3s/d3s/catalog/internal/entry"
	"github.com/d3s/d3s/dht/record"
)

// getList reads and validates the user's bucket list record.
func (s *syncer) getList(ctx context.Context, k bkey) (raw []byte, r record.BucketListRecord, found bool, err error) {
	key := record.BucketsKey(k.user)
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
	r, err = record.UnmarshalBucketListRecord(raw)
	return raw, r, err == nil, err
}

// pullList merges the user's published bucket list; st.work of k is held.
func (s *syncer) pullList(ctx context.Context, k bkey, strict bool) error {
	raw, r, found, err := s.getList(ctx, k)
	if err != nil {
		return err
	}
	if !found {
		return s.missing(k, strict)
	}
	return s.mergeList(ctx, k, raw, r)
}

// mergeList merges a bucket list into the local bucket records: per
// name, the record whose later of creation and deletion is later wins. A
// bucket whose deletion wins loses its local entries.
func (s *syncer) mergeList(ctx context.Context, k bkey, raw []byte, r record.BucketListRecord) error {
	baseRaw, err := s.c.loadBase(k)
	if err != nil {
		return err
	}
	if base, err := record.UnmarshalBucketListRecord(baseRaw); baseRaw != nil && err == nil &&
		(r.Seq < base.Seq || bytes.Equal(raw, baseRaw)) {
		return nil
	}
	var (
		doomed map[string]Time
		mark   Time
	)
	err = s.c.update(ctx, func(txn *badger.Txn) error {
		var err error
		doomed, mark, err = s.c.mergeBuckets(txn, k.user, r.Buckets)
		return err
	})
	if err != nil {
		return err
	}
	if !mark.IsZero() {
		s.watchMark(k, mark)
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
	return s.restoreBuckets(ctx, k, r)
}

// mergeBuckets applies published bucket entries in txn and returns the
// buckets whose deletion won over a live local bucket, with the deletion
// time, and the user's bucket-list mark when the list raised it (zero
// otherwise): it carries a creation or deletion of this node's outbox as
// is.
func (c *Catalog) mergeBuckets(txn *badger.Txn, user string, list []record.BucketListEntry) (map[string]Time, Time, error) {
	limit := Time{Wall: time.Now().Add(record.MaxClockSkew).UnixNano()}
	doomed := make(map[string]Time)
	var ours Time
	for _, e := range list {
		remote := entry.BucketRec{Created: fromHLC(e.Created), Deleted: fromHLC(e.Deleted)}
		if remote.Latest().Compare(limit) > 0 {
			continue
		}
		c.clock.Observe(remote.Latest())
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
	raised, err := raiseMark(txn, bkey{user: user}, ours)
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

// restoreBuckets puts back into the bucket list's outbox the local bucket
// records that r, just merged, lacks or holds older: r won over a list
// that had them, as when a partition heals and the other side's list has
// the higher sequence. The list is small, so every record is compared,
// whoever wrote it. Left out are records older than TombstoneTTL, like
// objects (frontier.go), and those the next list would drop past
// record.MaxBuckets, or every list would look like a loss.
func (s *syncer) restoreBuckets(ctx context.Context, k bkey, r record.BucketListRecord) error {
	local, err := s.c.nextList(k)
	if err != nil {
		return err
	}
	published := make(map[string]entry.BucketRec, len(r.Buckets))
	for _, e := range r.Buckets {
		published[e.Name] = entry.BucketRec{Created: fromHLC(e.Created), Deleted: fromHLC(e.Deleted)}
	}
	cutoff := s.c.tombstoneCutoff()
	var lost []record.BucketListEntry
	for _, e := range local.Buckets {
		rec := entry.BucketRec{Created: fromHLC(e.Created), Deleted: fromHLC(e.Deleted)}
		if p, ok := published[e.Name]; (ok && !rec.Newer(p)) || rec.Latest().Compare(cutoff) < 0 {
			continue
		}
		lost = append(lost, e)
	}
	if len(lost) == 0 {
		return nil
	}
	n, err := s.c.requeueBuckets(ctx, k.user, lost)
	if err == nil && n > 0 {
		s.log.Info("republishing buckets the published list lost", "user", k.user, "buckets", n, "list_seq", r.Seq)
		s.kick(k)
	}
	return err
}

// requeueBuckets puts bucket records back into the user's bucket-list
// outbox unless it holds them or newer ones already, and returns how many
// it put back.
func (c *Catalog) requeueBuckets(ctx context.Context, user string, list []record.BucketListEntry) (int, error) {
	n := 0
	err := c.update(ctx, func(txn *badger.Txn) error {
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

// publishList is one read-merge-publish attempt for the bucket list.
func (s *syncer) publishList(ctx context.Context, k bkey, st *bstate) (bool, time.Duration, error) {
	if err := s.pullList(ctx, k, false); err != nil {
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
	putErr := s.cfg.Records.PutRecord(ctx, record.BucketsKey(k.user), raw)
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
// Past record.MaxBuckets entries the oldest tombstones are left out: their
// deletions are by then older than any write still in flight.
func (c *Catalog) nextList(k bkey) (record.BucketListRecord, error) {
	rec := record.BucketListRecord{Seq: 1}
	baseRaw, err := c.loadBase(k)
	if err != nil {
		return rec, err
	}
	if base, err := record.UnmarshalBucketListRecord(baseRaw); baseRaw != nil && err == nil {
		rec.Seq = base.Seq + 1
	}
	err = c.db.View(func(txn *badger.Txn) error {
		return scanBuckets(txn, k.user, func(name string, r entry.BucketRec) {
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
