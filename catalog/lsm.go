package catalog

import (
	"bytes"
	"context"
	"fmt"

	"github.com/d3s/d3s/catalog/internal/snapshot"
)

// builtSnapshot is the manifest a publisher builds for its next head.
type builtSnapshot struct {
	id      []byte            // the manifest's ID, nil when the head has none
	data    []byte            // the manifest blob
	m       snapshot.Manifest // its content
	written [][]byte          // blobs stored for it (new runs, the snapshot.Manifest)
}

// cutRun stores recent (encoded entries in key order) as a new run on top
// of base and compacts; from is a hint for fetching base's runs. A
// compaction that merges every run (the tiers say so, or snapshot.GCDue) also
// drops the delete markers older than the tombstone cutoff: a marker
// only leaves in a merge that takes everything it shadows with it.
func (s *syncer) cutRun(ctx context.Context, k bkey, base snapshot.Manifest, recent [][]byte, deleted Time, from string) (builtSnapshot, error) {
	var snap builtSnapshot
	var w snapshot.RunWriter
	for _, raw := range recent {
		e := new(Entry)
		if err := e.UnmarshalBinary(raw); err != nil {
			return snap, fmt.Errorf("cut run of %s/%s: %w", k.User, k.Bucket, err)
		}
		w.Add(raw, e)
	}
	data, ref := w.Finish()
	var err error
	if ref.ID, err = s.putBlob(ctx, data, &snap); err != nil {
		return snap, err
	}
	runs := append(append([]snapshot.RunRef(nil), base.Runs...), ref)
	cutoff := s.c.tombstoneCutoff()
	horizon, full := base.Horizon, snapshot.GCDue(base, cutoff)
	for len(runs) > 1 {
		j := snapshot.Tier(runs)
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
	snap.m = snapshot.Manifest{Runs: runs, Horizon: horizon}
	snap.data = snap.m.Encode()
	if snap.id, err = s.putBlob(ctx, snap.data, &snap); err != nil {
		return snap, err
	}
	// Runs merged again within this cut are listed by no manifest.
	var orphans [][]byte
	for _, id := range snap.written {
		if !bytes.Equal(id, snap.id) && !snap.m.Has(id) {
			orphans = append(orphans, id)
		}
	}
	err = s.st.AddGarbage(ctx, k, orphans)
	s.log.Debug("snapshot cut", "user", k.User, "bucket", k.Bucket, "runs", len(runs), "new_entries", len(recent), "bytes", snap.m.Size(), "horizon", horizon)
	return snap, err
}

// putBlob stores data, records it in snap.written and returns the ID the
// blob store gave it (its content address, perhaps with more: Blobs).
func (s *syncer) putBlob(ctx context.Context, data []byte, snap *builtSnapshot) ([]byte, error) {
	id, err := s.cfg.Blobs.PutBlob(ctx, data)
	if err != nil {
		return nil, fmt.Errorf("store snapshot blob: %w", err)
	}
	if !snapshot.Matches(id, data) {
		return nil, fmt.Errorf("store snapshot blob: blob store returned ID %x for content %x: %w", id, snapshot.ID(data), ErrBadSnapshot)
	}
	snap.written = append(snap.written, id)
	return id, nil
}

// mergeRuns merges runs into one (per key the newest entry; entries not
// newer than the bucket's deletion dropped, and delete markers older than
// drop, which must be zero unless runs are all the snapshot's) and stores
// it; ok is false when nothing is left.
func (s *syncer) mergeRuns(ctx context.Context, runs []snapshot.RunRef, deleted, drop Time, from string, snap *builtSnapshot) (snapshot.RunRef, bool, error) {
	readers := make([]*snapshot.RunReader, 0, len(runs))
	for _, ref := range runs {
		data, err := s.cfg.Blobs.GetBlob(ctx, ref.ID, from)
		if err != nil {
			return snapshot.RunRef{}, false, fmt.Errorf("get run %x: %w", ref.ID, err)
		}
		r, err := snapshot.OpenRun(ref.ID, data)
		if err != nil {
			return snapshot.RunRef{}, false, err
		}
		readers = append(readers, r)
	}
	w, err := snapshot.MergeReaders(readers, deleted, drop)
	if err != nil || w.Count() == 0 {
		return snapshot.RunRef{}, false, err
	}
	data, ref := w.Finish()
	ref.ID, err = s.putBlob(ctx, data, snap)
	return ref, err == nil, err
}
