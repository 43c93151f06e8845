package catalog

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/d3s/d3s/catalog/internal/entry"
	"github.com/d3s/d3s/dht/record"
)

// getList reads and validates the user's bucket list record.
func (s *syncer) getList(ctx context.Context, k bkey) (raw []byte, r record.BucketListRecord, found bool, err error) {
	key := record.BucketsKey(k.User)
	raw, err = s.cfg.Records.GetRecord(ctx, key)
	if errors.Is(err, ErrNoRecord) {
		return nil, r, false, nil
	}
	if err != nil {
		return nil, r, false, fmt.Errorf("get bucket list of %s: %w", k.User, err)
	}
	if err := validator.Validate(key, raw); err != nil {
		return nil, r, false, fmt.Errorf("bucket list of %s: %w", k.User, err)
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
	baseRaw, err := s.st.LoadBase(k)
	if err != nil {
		return err
	}
	if base, err := record.UnmarshalBucketListRecord(baseRaw); baseRaw != nil && err == nil &&
		(r.Seq < base.Seq || bytes.Equal(raw, baseRaw)) {
		return nil
	}
	return s.mergeListAny(ctx, k, raw, r, true)
}

// mergeListAny merges r whatever its sequence; asBase records it as
// the base, which the restore check compares with.
func (s *syncer) mergeListAny(ctx context.Context, k bkey, raw []byte, r record.BucketListRecord, asBase bool) error {
	doomed, mark, err := s.st.MergeList(ctx, k.User, r.Buckets)
	if err != nil {
		return err
	}
	if !mark.IsZero() {
		s.watchMark(k, mark)
	}
	for name, deleted := range doomed {
		if err := s.st.PurgeBucket(ctx, k.User, name, deleted); err != nil {
			return err
		}
	}
	if !asBase {
		s.notify()
		return nil
	}
	if err := s.st.StoreBase(ctx, k, raw); err != nil {
		return err
	}
	s.notify()
	return s.restoreBuckets(ctx, k, r)
}

// restoreBuckets puts back into the bucket list's outbox the local bucket
// records that r, just merged, lacks or holds older: r won over a list
// that had them, as when a partition heals and the other side's list has
// the higher sequence. The list is small, so every record is compared,
// whoever wrote it. Left out are records older than TombstoneTTL, like
// objects (frontier.go), and those the next list would drop past
// record.MaxBuckets, or every list would look like a loss.
func (s *syncer) restoreBuckets(ctx context.Context, k bkey, r record.BucketListRecord) error {
	local, err := s.st.NextList(k)
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
	n, err := s.st.Outbox().RequeueBuckets(ctx, k.User, lost)
	if err == nil && n > 0 {
		s.log.Info("republishing buckets the published list lost", "user", k.User, "buckets", n, "list_seq", r.Seq)
		s.kick(k)
	}
	return err
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
	pending, err := s.st.Outbox().Buckets(k)
	if err != nil {
		return false, 0, err
	}
	done, err := s.putList(ctx, k, st, pending)
	return done, 0, err
}

// putList publishes the next bucket list, carrying pending.
func (s *syncer) putList(ctx context.Context, k bkey, st *bstate, pending []*Entry) (bool, error) {
	rec, err := s.st.NextList(k)
	if err != nil {
		return false, err
	}
	priv, err := s.userKey(ctx, k.User)
	if err != nil {
		return false, err
	}
	rec.Sign(priv)
	raw := rec.Marshal()
	putErr := s.cfg.Records.PutRecord(ctx, record.BucketsKey(k.User), raw)
	backRaw, back, found, err := s.getList(ctx, k)
	switch {
	case err != nil:
		return false, errors.Join(putErr, err)
	case found && bytes.Equal(backRaw, raw):
		if err := s.st.StoreBase(ctx, k, raw); err != nil {
			return false, err
		}
		st.ours = &published{raw: raw, at: time.Now(), entries: byKey(pending)}
		return false, nil
	case found && back.Seq >= rec.Seq:
		if err := s.mergeList(ctx, k, backRaw, back); err != nil {
			return false, err
		}
		return false, fmt.Errorf("bucket list %d of %s: %w", rec.Seq, k.User, ErrLostRace)
	case putErr != nil:
		return false, fmt.Errorf("put bucket list of %s: %w", k.User, putErr)
	}
	return false, fmt.Errorf("bucket list %d of %s not visible after put", rec.Seq, k.User)
}
