package catalog

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/d3s/d3s/catalog/internal/snapshot"
	"github.com/d3s/d3s/catalog/internal/store"
	"github.com/d3s/d3s/dht/record"
)

// toHLC and fromHLC convert between the catalog's clock time and the
// records' HLC, which have the same fields.
func toHLC(t Time) record.HLC   { return record.HLC{Wall: t.Wall, Logical: t.Logical} }
func fromHLC(t record.HLC) Time { return Time{Wall: t.Wall, Logical: t.Logical} }

// validator checks every record read from Records again, so a catalogue
// never merges a record its own node would not have stored.
var validator = record.Validator{}

// parseHead validates raw as the head stored under k and decodes it.
func parseHead(k bkey, raw []byte) (record.CatalogHead, error) {
	key := record.CatalogHeadKey(k.User, k.Bucket)
	if err := validator.Validate(key, raw); err != nil {
		return record.CatalogHead{}, err
	}
	return record.UnmarshalCatalogHead(raw)
}

// getHead reads and validates k's current head; found is false when the
// bucket has none yet.
func (s *syncer) getHead(ctx context.Context, k bkey) (raw []byte, h record.CatalogHead, found bool, err error) {
	raw, err = s.cfg.Records.GetRecord(ctx, record.CatalogHeadKey(k.User, k.Bucket))
	if errors.Is(err, ErrNoRecord) {
		return nil, h, false, nil
	}
	if err != nil {
		return nil, h, false, fmt.Errorf("get head of %s/%s: %w", k.User, k.Bucket, err)
	}
	h, err = parseHead(k, raw)
	if err != nil {
		return nil, h, false, fmt.Errorf("head of %s/%s: %w", k.User, k.Bucket, err)
	}
	return raw, h, true, nil
}

// pullHead merges k's current head into the local index; st.work is held.
// With strict, finding no head for a bucket merged before is an error
// (missing), not an empty answer.
func (s *syncer) pullHead(ctx context.Context, k bkey, strict bool) error {
	raw, h, found, err := s.getHead(ctx, k)
	if err != nil {
		return err
	}
	if !found {
		err = s.missing(k, strict)
		if err == nil {
			s.noteMerge(k, nil)
		}
		return err
	}
	if err := s.mergeHead(ctx, k, raw, h); err != nil {
		err = fmt.Errorf("%w: %w", errNotMerged, err)
		s.noteMerge(k, err)
		return err
	}
	s.noteMerge(k, nil)
	return nil
}

// mergeHead merges a head (and its snapshot when it is not the one merged
// last) into the local index, confirms the outbox entries it contains,
// puts back into the outbox the own writes it lost (restoreLost) and
// remembers it as the bucket's base. A head older than the base, or a
// bucket that does not exist here, leaves everything as it is.
func (s *syncer) mergeHead(ctx context.Context, k bkey, raw []byte, h record.CatalogHead) error {
	baseRaw, err := s.st.LoadBase(k)
	if err != nil {
		return err
	}
	var base record.CatalogHead
	if baseRaw != nil {
		if base, err = record.UnmarshalCatalogHead(baseRaw); err != nil {
			baseRaw = nil // an unreadable base is merged over again
		}
	}
	if baseRaw != nil && (h.Seq < base.Seq || bytes.Equal(raw, baseRaw)) {
		return nil
	}
	if live, err := s.st.BucketLive(k); err != nil || !live {
		return err
	}
	s.st.Clock().Observe(fromHLC(h.Time))
	if err := s.mergeManifest(ctx, k, h); err != nil {
		return err
	}
	if err := s.st.ApplyRemote(ctx, k, s.decodeEntries(k, h.Entries)); err != nil {
		return err
	}
	if baseRaw != nil {
		if err := s.resyncIfAway(ctx, k, base, h); err != nil {
			return err
		}
	}
	// Before the base moves on, so that a failure is retried at the next
	// merge of h.
	if err := s.restoreLost(ctx, k, h); err != nil {
		return err
	}
	if err := s.st.StoreBase(ctx, k, raw); err != nil {
		return err
	}
	s.notify()
	return nil
}

// resyncIfAway runs resync when base, the head merged before h, is older
// than the tombstone horizon of h's manifest (just recorded): this node
// missed delete markers that compaction has dropped since.
func (s *syncer) resyncIfAway(ctx context.Context, k bkey, base, h record.CatalogHead) error {
	sm, err := s.st.LoadManifest(k)
	if err != nil || !bytes.Equal(sm.ID, h.SnapshotID) || base.Time.Wall >= sm.M.Horizon {
		return err
	}
	return s.resync(ctx, k, sm, h)
}

// mergeManifest merges the runs of h's manifest that the manifest merged
// last does not list, then records h's manifest (the blobs the old one
// lists and the new one does not become garbage). Blobs fetched for a
// manifest that could not be merged are recorded as garbage too.
func (s *syncer) mergeManifest(ctx context.Context, k bkey, h record.CatalogHead) error {
	cur, err := s.st.LoadManifest(k)
	if err != nil || bytes.Equal(cur.ID, h.SnapshotID) {
		return err
	}
	if len(h.SnapshotID) == 0 {
		return s.st.SetManifest(ctx, k, store.StoredManifest{})
	}
	next, fetched, err := s.fetchManifest(ctx, k, h, cur)
	if err != nil {
		return errors.Join(err, s.st.AddGarbage(context.WithoutCancel(ctx), k, fetched))
	}
	return s.st.SetManifest(ctx, k, next)
}

// fetchManifest fetches h's manifest and merges the runs that cur does not
// list; fetched lists the blobs it fetched.
func (s *syncer) fetchManifest(ctx context.Context, k bkey, h record.CatalogHead, cur store.StoredManifest) (store.StoredManifest, [][]byte, error) {
	return s.newRuns(ctx, k, h.SnapshotID, h.Writer, cur, func(chunk []*Entry) error {
		return s.st.ApplyRemote(ctx, k, chunk)
	})
}

// newRuns fetches the manifest id (from: the writer, a hint) and hands fn
// the entries of its runs that cur does not list, a chunk at a time;
// fetched lists the blobs it fetched.
func (s *syncer) newRuns(ctx context.Context, k bkey, id []byte, from string, cur store.StoredManifest, fn func([]*Entry) error) (next store.StoredManifest, fetched [][]byte, err error) {
	next.ID = id
	if next.Data, err = s.cfg.Blobs.GetBlob(ctx, id, from); err != nil {
		return next, nil, fmt.Errorf("get manifest %x of %s/%s: %w", id, k.User, k.Bucket, err)
	}
	fetched = append(fetched, id)
	if next.M, err = snapshot.DecodeManifest(id, next.Data); err != nil {
		return next, fetched, err
	}
	for _, r := range next.M.Runs {
		if cur.References(r.ID) {
			continue
		}
		data, err := s.cfg.Blobs.GetBlob(ctx, r.ID, from)
		if err != nil {
			return next, fetched, fmt.Errorf("get run %x of %s/%s: %w", r.ID, k.User, k.Bucket, err)
		}
		fetched = append(fetched, r.ID)
		if err := snapshot.DecodeRun(r.ID, data, store.TxnChunk, fn); err != nil {
			return next, fetched, err
		}
	}
	return next, fetched, nil
}

// decodeEntries decodes a head's entries, skipping (and logging) any that
// do not decode: the head is signed, so such an entry comes from a newer
// or broken writer, and the others are still good.
func (s *syncer) decodeEntries(k bkey, raws [][]byte) []*Entry {
	out := make([]*Entry, 0, len(raws))
	for _, raw := range raws {
		e := new(Entry)
		if err := e.UnmarshalBinary(raw); err != nil {
			s.log.Warn("skip head entry", "user", k.User, "bucket", k.Bucket, "err", err)
			continue
		}
		out = append(out, e)
	}
	return out
}

// replaced hands entries that a merge or purge removed from the index to
// SyncConfig.OnReplaced.
func (c *Catalog) replaced(entries []*Entry) {
	s := c.sync.Load()
	if s == nil || s.cfg.OnReplaced == nil {
		return
	}
	for _, e := range entries {
		s.cfg.OnReplaced(e)
	}
}
