package catalog

import (
	"bytes"
	"context"
	"fmt"
)

// compactRatio drives size-tiered compaction: the newest runs are merged
// while their entries together, times compactRatio, exceed the run
// before them, so run sizes at least halve from one run to the next,
// every entry is rewritten O(log N) times and a manifest lists
// O(log N) runs.
const compactRatio = 2

// snapshot is the manifest a publisher builds for its next head.
type snapshot struct {
	id      []byte   // the manifest's ID, nil when the head has none
	data    []byte   // the manifest blob
	m       manifest // its content
	written [][]byte // blobs stored for it (new runs, the manifest)
}

// tier returns the index of the first run of the newest tier: the runs
// from there on are merged into one.
func tier(runs []runRef) int {
	j := len(runs) - 1
	total := runs[j].entries
	for j > 0 && total*compactRatio > runs[j-1].entries {
		total += runs[j-1].entries
		j--
	}
	return j
}

// gcRatio triggers a full compaction for tombstone GC: when the delete
// markers known to have expired are at least 1/gcRatio of the snapshot's
// entries, rewriting the whole snapshot (O(N)) sheds at least a quarter
// of it, so the rewrites cost O(1) per marker dropped.
const gcRatio = 4

// gcDue reports whether a full compaction of m would drop enough expired
// delete markers (markers older than cutoff): runs whose newest marker is
// older count all theirs.
func gcDue(m manifest, cutoff Time) bool {
	var total, expired uint64
	for _, r := range m.runs {
		total += r.entries
		if r.deletes > 0 && r.lastDelete < cutoff.Wall {
			expired += r.deletes
		}
	}
	return expired > 0 && expired*gcRatio >= total
}

// cutRun stores recent (encoded entries in key order) as a new run on top
// of base and compacts; from is a hint for fetching base's runs. A
// compaction that merges every run (the tiers say so, or gcDue) also
// drops the delete markers older than the tombstone cutoff: a marker
// only leaves in a merge that takes everything it shadows with it.
func (s *syncer) cutRun(ctx context.Context, k bkey, base manifest, recent [][]byte, deleted Time, from string) (snapshot, error) {
	var snap snapshot
	var w runWriter
	for _, raw := range recent {
		e := new(Entry)
		if err := e.UnmarshalBinary(raw); err != nil {
			return snap, fmt.Errorf("cut run of %s/%s: %w", k.user, k.bucket, err)
		}
		w.add(raw, e)
	}
	data, ref := w.finish()
	if err := s.putBlob(ctx, data, ref.id, &snap); err != nil {
		return snap, err
	}
	runs := append(append([]runRef(nil), base.runs...), ref)
	cutoff := s.c.tombstoneCutoff()
	horizon, full := base.horizon, gcDue(base, cutoff)
	for len(runs) > 1 {
		j := tier(runs)
		if full {
			j, full = 0, false
		}
		if j == len(runs)-1 {
			break
		}
		var drop Time
		if j == 0 {
			drop, horizon = cutoff, max(horizon, cutoff.Wall)
		}
		merged, ok, err := s.mergeRuns(ctx, runs[j:], deleted, drop, from, &snap)
		if err != nil {
			return snap, err
		}
		runs = runs[:j]
		if ok {
			runs = append(runs, merged)
		}
	}
	snap.m = manifest{runs: runs, horizon: horizon}
	snap.data = snap.m.encode()
	snap.id = snapshotID(snap.data)
	if err := s.putBlob(ctx, snap.data, snap.id, &snap); err != nil {
		return snap, err
	}
	// Runs merged again within this cut are listed by no manifest.
	var orphans [][]byte
	for _, id := range snap.written {
		if !bytes.Equal(id, snap.id) && !snap.m.has(id) {
			orphans = append(orphans, id)
		}
	}
	err := s.c.addGarbage(ctx, k, orphans)
	s.log.Debug("snapshot cut", "user", k.user, "bucket", k.bucket, "runs", len(runs), "new_entries", len(recent), "bytes", snap.m.bytes(), "horizon", horizon)
	return snap, err
}

// putBlob stores data, whose ID is id, and records it in snap.written.
func (s *syncer) putBlob(ctx context.Context, data, id []byte, snap *snapshot) error {
	got, err := s.cfg.Blobs.PutBlob(ctx, data)
	if err != nil {
		return fmt.Errorf("store snapshot blob: %w", err)
	}
	if !bytes.Equal(got, id) {
		return fmt.Errorf("store snapshot blob: blob store returned ID %x for content %x: %w", got, id, ErrBadSnapshot)
	}
	snap.written = append(snap.written, id)
	return nil
}

// mergeRuns merges runs into one (per key the newest entry; entries not
// newer than the bucket's deletion dropped, and delete markers older than
// drop, which must be zero unless runs are all the snapshot's) and stores
// it; ok is false when nothing is left.
func (s *syncer) mergeRuns(ctx context.Context, runs []runRef, deleted, drop Time, from string, snap *snapshot) (runRef, bool, error) {
	readers := make([]*runReader, 0, len(runs))
	for _, ref := range runs {
		data, err := s.cfg.Blobs.GetBlob(ctx, ref.id, from)
		if err != nil {
			return runRef{}, false, fmt.Errorf("get run %x: %w", ref.id, err)
		}
		r, err := openRun(ref.id, data)
		if err != nil {
			return runRef{}, false, err
		}
		readers = append(readers, r)
	}
	w, err := mergeReaders(readers, deleted, drop)
	if err != nil || w.count == 0 {
		return runRef{}, false, err
	}
	data, ref := w.finish()
	return ref, true, s.putBlob(ctx, data, ref.id, snap)
}

// mergeReaders merges sorted runs by key, keeping per key the newest
// entry unless it is not newer than deleted or is a delete marker older
// than drop, into a run writer.
func mergeReaders(readers []*runReader, deleted, drop Time) (*runWriter, error) {
	w := new(runWriter)
	for {
		var best *runReader
		for _, r := range readers {
			if r.cur == nil {
				continue
			}
			if best == nil || r.cur.Key < best.cur.Key || (r.cur.Key == best.cur.Key && r.cur.Newer(best.cur)) {
				best = r
			}
		}
		if best == nil {
			break
		}
		e, raw := best.cur, best.raw
		if e.Time.Compare(deleted) > 0 && !(e.DeleteMarker && e.Time.Compare(drop) < 0) {
			w.add(raw, e)
		}
		key := e.Key
		for _, r := range readers {
			for r.cur != nil && r.cur.Key == key {
				r.advance()
			}
		}
	}
	for _, r := range readers {
		if r.err != nil {
			return nil, r.err
		}
	}
	return w, nil
}
