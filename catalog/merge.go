package catalog

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/d3s/d3s/catalog/internal/snapshot"
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
	key := record.CatalogHeadKey(k.user, k.bucket)
	if err := validator.Validate(key, raw); err != nil {
		return record.CatalogHead{}, err
	}
	return record.UnmarshalCatalogHead(raw)
}

// getHead reads and validates k's current head; found is false when the
// bucket has none yet.
func (s *syncer) getHead(ctx context.Context, k bkey) (raw []byte, h record.CatalogHead, found bool, err error) {
	raw, err = s.cfg.Records.GetRecord(ctx, record.CatalogHeadKey(k.user, k.bucket))
	if errors.Is(err, ErrNoRecord) {
		return nil, h, false, nil
	}
	if err != nil {
		return nil, h, false, fmt.Errorf("get head of %s/%s: %w", k.user, k.bucket, err)
	}
	h, err = parseHead(k, raw)
	if err != nil {
		return nil, h, false, fmt.Errorf("head of %s/%s: %w", k.user, k.bucket, err)
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
		return s.missing(k, strict)
	}
	return s.mergeHead(ctx, k, raw, h)
}

// mergeHead merges a head (and its snapshot when it is not the one merged
// last) into the local index, confirms the outbox entries it contains,
// puts back into the outbox the own writes it lost (restoreLost) and
// remembers it as the bucket's base. A head older than the base, or a
// bucket that does not exist here, leaves everything as it is.
func (s *syncer) mergeHead(ctx context.Context, k bkey, raw []byte, h record.CatalogHead) error {
	baseRaw, err := s.c.loadBase(k)
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
	if live, err := s.c.bucketLive(k); err != nil || !live {
		return err
	}
	s.c.clock.Observe(fromHLC(h.Time))
	if err := s.mergeManifest(ctx, k, h); err != nil {
		return err
	}
	if err := s.c.applyRemote(ctx, k, s.decodeEntries(k, h.Entries)); err != nil {
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
	if err := s.c.storeBase(ctx, k, raw); err != nil {
		return err
	}
	s.notify()
	return nil
}

// resyncIfAway runs resync when base, the head merged before h, is older
// than the tombstone horizon of h's manifest (just recorded): this node
// missed delete markers that compaction has dropped since.
func (s *syncer) resyncIfAway(ctx context.Context, k bkey, base, h record.CatalogHead) error {
	sm, err := s.c.loadManifest(k)
	if err != nil || !bytes.Equal(sm.id, h.SnapshotID) || base.Time.Wall >= sm.m.Horizon {
		return err
	}
	return s.resync(ctx, k, sm, h)
}

// mergeManifest merges the runs of h's manifest that the manifest merged
// last does not list, then records h's manifest (the blobs the old one
// lists and the new one does not become garbage). Blobs fetched for a
// manifest that could not be merged are recorded as garbage too.
func (s *syncer) mergeManifest(ctx context.Context, k bkey, h record.CatalogHead) error {
	cur, err := s.c.loadManifest(k)
	if err != nil || bytes.Equal(cur.id, h.SnapshotID) {
		return err
	}
	if len(h.SnapshotID) == 0 {
		return s.c.setManifest(ctx, k, storedManifest{})
	}
	next, fetched, err := s.fetchManifest(ctx, k, h, cur)
	if err != nil {
		return errors.Join(err, s.c.addGarbage(context.WithoutCancel(ctx), k, fetched))
	}
	return s.c.setManifest(ctx, k, next)
}

// fetchManifest fetches h's manifest and merges the runs that cur does not
// list; fetched lists the blobs it fetched.
func (s *syncer) fetchManifest(ctx context.Context, k bkey, h record.CatalogHead, cur storedManifest) (next storedManifest, fetched [][]byte, err error) {
	next.id = h.SnapshotID
	if next.data, err = s.cfg.Blobs.GetBlob(ctx, h.SnapshotID, h.Writer); err != nil {
		return next, nil, fmt.Errorf("get manifest %x of %s/%s: %w", h.SnapshotID, k.user, k.bucket, err)
	}
	fetched = append(fetched, h.SnapshotID)
	if next.m, err = snapshot.DecodeManifest(h.SnapshotID, next.data); err != nil {
		return next, fetched, err
	}
	for _, r := range next.m.Runs {
		if cur.references(r.ID) {
			continue
		}
		data, err := s.cfg.Blobs.GetBlob(ctx, r.ID, h.Writer)
		if err != nil {
			return next, fetched, fmt.Errorf("get run %x of %s/%s: %w", r.ID, k.user, k.bucket, err)
		}
		fetched = append(fetched, r.ID)
		err = snapshot.DecodeRun(r.ID, data, txnChunk, func(chunk []*Entry) error {
			return s.c.applyRemote(ctx, k, chunk)
		})
		if err != nil {
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
			s.log.Warn("skip head entry", "user", k.user, "bucket", k.bucket, "err", err)
			continue
		}
		out = append(out, e)
	}
	return out
}

// bucketLive reports whether k's bucket exists locally.
func (c *Catalog) bucketLive(k bkey) (bool, error) {
	r, found, err := c.bucketRec(k)
	return found && r.Live(), err
}

// applyRemote merges published entries into the local index by
// last-writer-wins, in bounded transactions. Entries not newer than the
// bucket's last deletion belong to an earlier bucket of the same name and
// are ignored, as are entries dated beyond the clock-skew bound. Each
// entry also confirms the outbox entry of its key when it is as new.
func (c *Catalog) applyRemote(ctx context.Context, k bkey, entries []*Entry) error {
	limit := Time{Wall: time.Now().Add(record.MaxClockSkew).UnixNano()}
	for len(entries) > 0 {
		n := min(len(entries), txnChunk)
		chunk := entries[:n]
		entries = entries[n:]
		var (
			replaced []*Entry
			mark     Time
		)
		err := c.withBucket(k.user, k.bucket, func() error {
			return c.update(ctx, func(txn *badger.Txn) error {
				var err error
				replaced, mark, err = c.applyChunk(txn, k, chunk, limit)
				return err
			})
		})
		if err != nil {
			return err
		}
		c.replaced(replaced)
		if s := c.sync.Load(); s != nil && !mark.IsZero() {
			s.watchMark(k, mark)
		}
	}
	return nil
}

// applyChunk merges chunk in txn and returns the object versions (not
// delete markers) that left the index, and k's mark when the chunk raised
// it (zero otherwise): an own entry of the outbox that chunk carries as
// is has been published, so it leaves the outbox and raises the mark.
func (c *Catalog) applyChunk(txn *badger.Txn, k bkey, chunk []*Entry, limit Time) ([]*Entry, Time, error) {
	r, found, err := getBucketRec(txn, k.user, k.bucket)
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
		c.clock.Observe(e.Time)
		old, confirmed, err := applyOne(txn, k, e)
		if err != nil {
			return nil, Time{}, err
		}
		if old != nil && !old.DeleteMarker {
			replaced = append(replaced, old)
		}
		// confirmOne dropped confirmed as not newer than e; not older
		// either, it is e: the record carries this node's entry itself.
		if confirmed != nil && confirmed.Writer == c.nodeID && !e.Newer(confirmed) && confirmed.Time.Compare(ours) > 0 {
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
func applyOne(txn *badger.Txn, k bkey, e *Entry) (replaced, confirmed *Entry, err error) {
	okey := objectKey(k.user, k.bucket, e.Key)
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
	confirmed, err = confirmOne(txn, k, e)
	return replaced, confirmed, err
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
