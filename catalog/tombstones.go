package catalog

import (
	"context"
	"fmt"

	"github.com/d3s/d3s/catalog/internal/snapshot"
	"github.com/d3s/d3s/catalog/internal/store"
	"github.com/d3s/d3s/dht/record"
)

// Tombstone GC (doc.go, "Delete markers"). A full compaction (cutRun)
// drops the delete markers older than TombstoneTTL together with every
// version they shadowed and records the cutoff as the manifest's
// horizon. A node that merges a manifest with a later horizon drops the
// markers dated before it from its index too (store.DropMarkers, from SetManifest): the
// snapshot no longer holds anything they shadowed, and the index holds
// one entry per key, so nothing is left for them to hide. A node whose
// last merged head is older than the horizon was away while markers it
// never saw were dropped; it removes the old entries the snapshot lost
// (resync), the versions those markers deleted.

// resync removes from k's index the entries dated before the horizon of
// sm (the manifest just merged for head h) that neither its runs nor h's
// recent entries hold, unless an outbox entry holds their key; the object
// versions removed go to OnReplaced. It is for a node whose last merged
// head is older than the horizon: a full compaction dropped markers it
// never merged, and with them the versions they deleted, which this
// node's index still shows and no merge would remove.
func (s *syncer) resync(ctx context.Context, k bkey, sm store.StoredManifest, h record.CatalogHead) error {
	cur, err := s.openRuns(ctx, sm.M, h.Writer)
	if err != nil {
		return err
	}
	recent := make(map[string]bool, len(h.Entries))
	for _, e := range s.decodeEntries(k, h.Entries) {
		recent[e.Key] = true
	}
	horizon := Time{Wall: sm.M.Horizon}
	var lost []*Entry
	err = s.st.ScanEntries(k, func(e *Entry) {
		if e.Time.Compare(horizon) < 0 && !recent[e.Key] && !cur.Has(e.Key) {
			lost = append(lost, e)
		}
	})
	if err == nil {
		err = cur.Err()
	}
	if err != nil {
		return fmt.Errorf("resync %s/%s: %w", k.User, k.Bucket, err)
	}
	if len(lost) > 0 {
		s.log.Info("dropping entries deleted while this node was away", "user", k.User, "bucket", k.Bucket, "entries", len(lost))
	}
	return s.st.DropLost(ctx, k, lost)
}

// openRuns fetches and opens every run of m.
func (s *syncer) openRuns(ctx context.Context, m snapshot.Manifest, from string) (*snapshot.Cursor, error) {
	var readers []*snapshot.RunReader
	for _, ref := range m.Runs {
		data, err := s.cfg.Blobs.GetBlob(ctx, ref.ID, from)
		if err != nil {
			return nil, fmt.Errorf("get run %x: %w", ref.ID, err)
		}
		r, err := snapshot.OpenRun(ref.ID, data)
		if err != nil {
			return nil, err
		}
		readers = append(readers, r)
	}
	return snapshot.NewCursor(readers), nil
}
