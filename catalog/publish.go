package catalog

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/d3s/d3s/catalog/internal/entry"
	"github.com/d3s/d3s/catalog/internal/snapshot"
	"github.com/d3s/d3s/catalog/internal/store"
	"github.com/d3s/d3s/dht/record"
)

// Publishing bounds.
const (
	// maxHeadBytes is where a head stops growing and a snapshot is cut,
	// whatever MaxRecent says: well under record.MaxBucketRecordSize.
	maxHeadBytes = 256 << 10
	// raceRetries bounds the immediate retries of a round whose record
	// lost to another writer's before it backs off.
	raceRetries = 16
	// roundTimeout bounds one publish round.
	roundTimeout = 30 * time.Second
	// maxBackoff bounds the wait between failed rounds.
	maxBackoff = 5 * time.Second
)

// kick marks k dirty and starts its publisher if none runs.
func (s *syncer) kick(k bkey) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ctx.Err() != nil {
		return
	}
	st := s.state(k)
	st.dirty = true
	if !st.publishing {
		st.publishing = true
		s.wg.Add(1)
		go s.publisher(k, st)
	}
}

// publisher publishes k's outbox until it is empty and no write came in
// since, waiting BatchDelay first so that a burst of writes shares one
// record, and backing off after failures.
func (s *syncer) publisher(k bkey, st *bstate) {
	defer s.wg.Done()
	wait := s.cfg.BatchDelay
	for s.sleep(wait) {
		s.mu.Lock()
		st.dirty = false
		s.mu.Unlock()
		done, again, err := s.publishRound(k, st)
		wait = max(again, s.cfg.BatchDelay)
		if err != nil {
			wait = backoff(wait, err)
			s.log.Warn("publish", "user", k.User, "bucket", k.Bucket, "err", err, "retry_in", wait)
		}
		s.mu.Lock()
		if err == nil && done && !st.dirty {
			st.publishing = false
			s.mu.Unlock()
			return
		}
		s.mu.Unlock()
	}
	s.mu.Lock()
	st.publishing = false
	s.mu.Unlock()
}

// backoff returns the next wait after a failed round. A round that kept
// losing races to other writers (strong mode's swaps) waits a few random
// milliseconds, not longer and longer: the others are making progress,
// and this node's writes wait for their acknowledgement.
func backoff(prev time.Duration, err error) time.Duration {
	if errors.Is(err, ErrLostRace) {
		return time.Duration(1+rand.IntN(10)) * time.Millisecond
	}
	return min(max(2*prev, 100*time.Millisecond), maxBackoff)
}

// publishRound runs read-merge-publish for k until its record is the
// published one or another writer's record already contains the outbox;
// done reports that k's outbox is empty, again when to look again while
// a record of ours settles.
func (s *syncer) publishRound(k bkey, st *bstate) (done bool, again time.Duration, err error) {
	st.work.Lock()
	defer st.work.Unlock()
	ctx, cancel := context.WithTimeout(s.ctx, roundTimeout)
	defer cancel()
	for range raceRetries {
		if s.strong() {
			done, again, err = strongSync{s}.publishStrong(ctx, k, st)
		} else if k.Bucket == "" {
			done, again, err = s.publishList(ctx, k, st)
		} else {
			done, again, err = s.publishHead(ctx, k, st)
		}
		if !errors.Is(err, ErrLostRace) {
			return done, again, err
		}
	}
	return false, 0, err
}

// settle handles our last published record before a new round: once it
// stayed the base for Settle, the outbox entries it carries are dropped.
// wait > 0 means it has not settled and every outbox entry is in it, so
// the round only waits; publish reports that the outbox holds writes to
// publish.
func (s *syncer) settle(ctx context.Context, k bkey, st *bstate) (wait time.Duration, publish bool, err error) {
	pending, err := s.outboxFor(k)
	if err != nil {
		return 0, false, err
	}
	if st.ours != nil {
		baseRaw, err := s.st.LoadBase(k)
		if err != nil {
			return 0, false, err
		}
		if !bytes.Equal(baseRaw, st.ours.raw) {
			st.ours = nil // displaced or superseded: merging confirmed what it could
		} else if left := s.cfg.Settle - time.Since(st.ours.at); left > 0 {
			if covered(pending, st.ours.entries) {
				return left, false, nil
			}
		} else {
			if err := s.st.Outbox().Confirm(ctx, k, slices.Collect(maps.Values(st.ours.entries))); err != nil {
				return 0, false, err
			}
			if err := s.raiseMarkTo(ctx, k, s.settledMark(k, st.ours.entries)); err != nil {
				return 0, false, err
			}
			st.ours = nil
			s.notify()
			pending, err = s.outboxFor(k)
		}
	}
	return 0, len(pending) > 0, err
}

// covered reports whether every pending entry is the same version as the
// one carried by our record.
func covered(pending []*Entry, carried map[string]*Entry) bool {
	for _, e := range pending {
		c := carried[e.Key]
		if c == nil || e.Newer(c) {
			return false
		}
	}
	return true
}

// outboxFor returns k's outbox entries; bucket list entries come back
// as entries with only Key and Time (the later of creation and deletion).
func (s *syncer) outboxFor(k bkey) ([]*Entry, error) {
	if k.Bucket != "" {
		return s.st.Outbox().Entries(k)
	}
	return s.st.Outbox().Buckets(k)
}

// publishHead is one read-merge-publish attempt for a bucket's head.
func (s *syncer) publishHead(ctx context.Context, k bkey, st *bstate) (bool, time.Duration, error) {
	pulled := time.Now()
	if err := s.pullHead(ctx, k, false); err != nil {
		return false, 0, err
	}
	wait, publish, err := s.settle(ctx, k, st)
	if err != nil || !publish {
		return wait == 0 && err == nil, wait, err
	}
	pending, err := s.st.Outbox().Entries(k)
	if err != nil {
		return false, 0, err
	}
	done, err := s.publishEntries(ctx, k, st, pending, pulled)
	return done, 0, err
}

// publishEntries publishes a head carrying pending.
func (s *syncer) publishEntries(ctx context.Context, k bkey, st *bstate, pending []*Entry, pulled time.Time) (bool, error) {
	rec, found, err := s.st.BucketRec(k)
	if err != nil {
		return false, err
	}
	if !found || !rec.Live() {
		// The bucket was deleted (here or, winning, elsewhere): its
		// unpublished writes go with it.
		upto := rec.Deleted
		if !found {
			upto = s.st.Clock().Now()
		}
		return true, s.st.PurgeBucket(ctx, k.User, k.Bucket, upto)
	}
	head, snap, err := s.nextHead(ctx, k, rec, pending)
	if err == nil {
		err = s.stillCurrent(ctx, k, pulled)
	}
	var done bool
	if err == nil {
		done, err = s.putHead(ctx, k, st, head, snap, pending)
	}
	if err != nil {
		// Blobs written for a head that did not become the base: the
		// sweep releases those no manifest merged later lists.
		err = errors.Join(err, s.st.AddGarbage(context.WithoutCancel(ctx), k, snap.written))
	}
	return done, err
}

// stillCurrent bounds how long after reading its base a head may be put,
// which is what makes Settle safe: a writer whose build took longer than
// Settle/2 (a large snapshot) checks that the base is still the current
// head, or starts over with ErrLostRace.
func (s *syncer) stillCurrent(ctx context.Context, k bkey, pulled time.Time) error {
	if time.Since(pulled) < s.cfg.Settle/2 {
		return nil
	}
	raw, _, _, err := s.getHead(ctx, k)
	if err != nil {
		return err
	}
	baseRaw, err := s.st.LoadBase(k)
	if err != nil {
		return err
	}
	if !bytes.Equal(raw, baseRaw) {
		return fmt.Errorf("head of %s/%s moved while building: %w", k.User, k.Bucket, ErrLostRace)
	}
	return nil
}

// nextHead builds the head that adds pending to the base: same manifest,
// the base's recent entries merged with pending, the base's frontier
// raised by pending; maybeCut then turns the recent entries into a run
// when they grew too many or a tombstone GC is due.
func (s *syncer) nextHead(ctx context.Context, k bkey, rec entry.BucketRec, pending []*Entry) (record.CatalogHead, builtSnapshot, error) {
	head := record.CatalogHead{Bucket: k.Bucket, Writer: s.cfg.NodeID, Seq: 1}
	recent := make(map[string]*Entry, len(pending))
	baseRaw, err := s.st.LoadBase(k)
	if err != nil {
		return head, builtSnapshot{}, err
	}
	from := ""
	var frontier []record.FrontierMark
	if base, err := record.UnmarshalCatalogHead(baseRaw); baseRaw != nil && err == nil {
		head.Seq, frontier = base.Seq+1, base.Frontier
		if fromHLC(base.Time).Compare(rec.Deleted) > 0 {
			head.SnapshotID, from = base.SnapshotID, base.Writer
			for _, e := range s.decodeEntries(k, base.Entries) {
				if e.Time.Compare(rec.Deleted) > 0 {
					recent[e.Key] = e
				}
			}
		}
	}
	adds := pending
	st := s.stateOf(k)
	head.Seq = max(head.Seq, st.overSeq+1) // strong mode; 0 otherwise
	if len(st.extra) > 0 {
		// Strong mode: entries of records the members hold that the
		// base lacks (strong.go); st.work is held.
		adds = slices.Clone(pending)
		for _, e := range st.extra {
			adds = append(adds, e)
		}
		frontier = append(slices.Clone(frontier), st.extraFrontier...)
	}
	for _, e := range adds {
		if cur := recent[e.Key]; cur == nil || e.Newer(cur) {
			recent[e.Key] = e
		}
	}
	head.Frontier = nextFrontier(frontier, adds, s.c.frontierKeep())
	head.Entries, err = encodeSorted(recent)
	head.Time = toHLC(s.st.Clock().Now())
	if err != nil {
		return head, builtSnapshot{}, err
	}
	snap, err := s.maybeCut(ctx, k, rec, &head, from)
	return head, snap, err
}

// maybeCut moves head's recent entries into a new run of its manifest
// (cutRun), leaving the head none, when they pass MaxRecent or
// maxHeadBytes, or when the manifest merged last holds enough expired
// delete markers for a full compaction to pay (snapshot.GCDue): tombstone GC
// happens at the bucket's first write after it is due.
func (s *syncer) maybeCut(ctx context.Context, k bkey, rec entry.BucketRec, head *record.CatalogHead, from string) (builtSnapshot, error) {
	cut := len(head.Entries) > s.cfg.MaxRecent || head.Size() > maxHeadBytes
	if !cut {
		if len(head.SnapshotID) == 0 {
			return builtSnapshot{}, nil
		}
		sm, err := s.st.LoadManifest(k)
		if err != nil || !bytes.Equal(sm.ID, head.SnapshotID) || !snapshot.GCDue(sm.M, s.c.tombstoneCutoff()) {
			return builtSnapshot{}, err
		}
	}
	base, err := s.baseManifest(ctx, k, head.SnapshotID, from)
	if err != nil {
		return builtSnapshot{}, err
	}
	snap, err := s.cutRun(ctx, k, base, head.Entries, rec.Deleted, from)
	head.Entries, head.SnapshotID = nil, snap.id
	return snap, err
}

// baseManifest returns the manifest named id: the one merged last, which
// it normally is, or fetched.
func (s *syncer) baseManifest(ctx context.Context, k bkey, id []byte, from string) (snapshot.Manifest, error) {
	if len(id) == 0 {
		return snapshot.Manifest{}, nil
	}
	sm, err := s.st.LoadManifest(k)
	if err != nil || bytes.Equal(sm.ID, id) {
		return sm.M, err
	}
	data, err := s.cfg.Blobs.GetBlob(ctx, id, from)
	if err != nil {
		return snapshot.Manifest{}, fmt.Errorf("get manifest %x of %s/%s: %w", id, k.User, k.Bucket, err)
	}
	return snapshot.DecodeManifest(id, data)
}

// encodeSorted encodes entries in key order, so a head's bytes depend only
// on its content.
func encodeSorted(m map[string]*Entry) ([][]byte, error) {
	keys := make([]string, 0, len(m))
	for key := range m {
		keys = append(keys, key)
	}
	slices.SortFunc(keys, strings.Compare)
	out := make([][]byte, len(keys))
	for i, key := range keys {
		b, err := m[key].MarshalBinary()
		if err != nil {
			return nil, err
		}
		out[i] = b
	}
	return out, nil
}

func byKey(entries []*Entry) map[string]*Entry {
	m := make(map[string]*Entry, len(entries))
	for _, e := range entries {
		m[e.Key] = e
	}
	return m
}

// putHead signs and publishes head, reads it back and records it (and
// snap, its new manifest if any) as the base when it is the record the
// store kept; otherwise it merges the winner's
// record and returns ErrLostRace.
func (s *syncer) putHead(ctx context.Context, k bkey, st *bstate, head record.CatalogHead, snap builtSnapshot, pending []*Entry) (bool, error) {
	priv, err := s.userKey(ctx, k.User)
	if err != nil {
		return false, err
	}
	head.Sign(priv)
	raw := head.Marshal()
	putErr := s.cfg.Records.PutRecord(ctx, record.CatalogHeadKey(k.User, k.Bucket), raw)
	backRaw, back, found, err := s.getHead(ctx, k)
	switch {
	case err != nil:
		return false, errors.Join(putErr, err)
	case found && bytes.Equal(backRaw, raw):
		if err := s.st.StoreBase(ctx, k, raw); err != nil {
			return false, err
		}
		if snap.id != nil {
			// Every entry of the new manifest is in the local index already.
			if err := s.st.SetManifest(ctx, k, store.StoredManifest{ID: snap.id, Data: snap.data, M: snap.m}); err != nil {
				return false, err
			}
		}
		st.ours = &published{raw: raw, at: time.Now(), entries: byKey(pending)}
		return false, nil
	case found && back.Seq >= head.Seq:
		if err := s.mergeHead(ctx, k, backRaw, back); err != nil {
			return false, err
		}
		return false, fmt.Errorf("head %d of %s/%s: %w", head.Seq, k.User, k.Bucket, ErrLostRace)
	case putErr != nil:
		return false, fmt.Errorf("put head of %s/%s: %w", k.User, k.Bucket, putErr)
	}
	return false, fmt.Errorf("head %d of %s/%s not visible after put", head.Seq, k.User, k.Bucket)
}
