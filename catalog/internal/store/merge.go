package store

import (
	"context"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/d3s/d3s/dht/record"
)

// BucketLive reports whether k's bucket exists locally.
func (s *Store) BucketLive(k Key) (bool, error) {
	r, found, err := s.BucketRec(k)
	return found && r.Live(), err
}

// ApplyRemote merges published entries into the local index by
// last-writer-wins, in bounded transactions. Entries not newer than the
// bucket's last deletion belong to an earlier bucket of the same name and
// are ignored, as are entries dated beyond the clock-skew bound. Each
// entry also confirms the outbox entry of its key when it is as new.
func (s *Store) ApplyRemote(ctx context.Context, k Key, entries []*Entry) error {
	limit := Time{Wall: time.Now().Add(record.MaxClockSkew).UnixNano()}
	for len(entries) > 0 {
		n := min(len(entries), TxnChunk)
		chunk := entries[:n]
		entries = entries[n:]
		var (
			replaced []*Entry
			mark     Time
		)
		err := s.withBucket(k.User, k.Bucket, func() error {
			return s.update(ctx, func(txn *badger.Txn) error {
				var err error
				replaced, mark, err = s.applyChunk(txn, k, chunk, limit)
				return err
			})
		})
		if err != nil {
			return err
		}
		s.replaced(replaced)
		if !mark.IsZero() {
			s.marked(k, mark)
		}
	}
	return nil
}

// applyChunk merges chunk in txn and returns the object versions (not
// delete markers) that left the index, and k's mark when the chunk raised
// it (zero otherwise): an own entry of the outbox that chunk carries as
// is has been published, so it leaves the outbox and raises the mark.
func (s *Store) applyChunk(txn *badger.Txn, k Key, chunk []*Entry, limit Time) ([]*Entry, Time, error) {
	r, found, err := getBucketRec(txn, k.User, k.Bucket)
	if err != nil || !found || !r.Live() {
		return nil, Time{}, err
	}
	var (
		replaced []*Entry
		ours     Time
	)
	for _, e := range chunk {
		if e.Time.Compare(r.Deleted) <= 0 || e.Time.Compare(limit) > 0 {
			continue
		}
		s.clock.Observe(e.Time)
		old, confirmed, err := applyOne(txn, k, e, !s.strong.Load())
		if err != nil {
			return nil, Time{}, err
		}
		if old != nil && !old.DeleteMarker {
			replaced = append(replaced, old)
		}
		// confirmOne dropped confirmed as not newer than e; not older
		// either, it is e: the record carries this node's entry itself.
		if confirmed != nil && confirmed.Writer == s.nodeID && !e.Newer(confirmed) && confirmed.Time.Compare(ours) > 0 {
			ours = confirmed.Time
		}
	}
	if ours.IsZero() {
		return replaced, Time{}, nil
	}
	raised, err := raiseMark(txn, k, ours)
	if err != nil || !raised {
		return replaced, Time{}, err
	}
	return replaced, ours, nil
}

// applyOne makes e the current entry of its key if it is newer, returning
// the entry it replaced, and confirms the key's outbox entry if e is at
// least as new, returning the outbox entry it dropped.
func applyOne(txn *badger.Txn, k Key, e *Entry, confirm bool) (replaced, confirmed *Entry, err error) {
	okey := ObjectKey(k.User, k.Bucket, e.Key)
	cur, err := getEntry(txn, okey)
	if err != nil {
		return nil, nil, err
	}
	if cur == nil || e.Newer(cur) {
		val, err := e.MarshalBinary()
		if err != nil {
			return nil, nil, err
		}
		if err := txn.Set(okey, val); err != nil {
			return nil, nil, err
		}
		replaced = cur
	}
	if !confirm {
		return replaced, nil, nil
	}
	confirmed, err = confirmOne(txn, k, e)
	return replaced, confirmed, err
}
