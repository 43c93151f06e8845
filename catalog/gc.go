package catalog

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/d3s/d3s/catalog/internal/store"
)

// Snapshot garbage (doc.go, "Releasing snapshot blobs"): when the
// manifest merged for a bucket changes, the blobs of the old one that the
// new one does not list are recorded as garbage (Store.SetManifest) with the time;
// the sweep releases a recorded blob once it has been unreferenced for
// BlobGrace and the bucket's current manifest still does not list it.

// sweep releases the snapshot blobs unreferenced for BlobGrace that the
// current manifest of their bucket does not list, and forgets the others
// that it lists (they are recorded again when a later manifest drops
// them).
func (s *syncer) sweep(ctx context.Context) error {
	due, err := s.st.DueGarbage(time.Now().Add(-s.cfg.BlobGrace))
	if err != nil {
		return err
	}
	var errs []error
	for _, g := range due {
		if err := s.sweepOne(ctx, g); err != nil {
			errs = append(errs, fmt.Errorf("release snapshot blob %x: %w", g.ID, err))
		}
	}
	return errors.Join(errs...)
}

// sweepOne releases one due blob unless its bucket's manifest lists it,
// under the bucket's work lock so that no merge or publish of the bucket
// runs meanwhile, and forgets it.
func (s *syncer) sweepOne(ctx context.Context, g store.GarbageItem) error {
	st := s.stateOf(g.K)
	st.work.Lock()
	defer st.work.Unlock()
	sm, err := s.st.LoadManifest(g.K)
	if err != nil {
		return err
	}
	if g.ID != nil && !sm.References(g.ID) {
		if err := s.cfg.Blobs.ReleaseBlob(ctx, g.ID); err != nil {
			return err
		}
		s.log.Debug("snapshot blob released", "user", g.K.User, "bucket", g.K.Bucket, "id", fmt.Sprintf("%x", g.ID))
	}
	return s.st.ForgetGarbage(ctx, g)
}

// SnapshotBlobs returns the IDs of the snapshot blobs (manifest and
// runs) of the head merged last for user's bucket: what its published
// index needs, so what no holder may collect.
func (c *Catalog) SnapshotBlobs(user, bucket string) ([][]byte, error) {
	sm, err := c.store.LoadManifest(bkey{User: user, Bucket: bucket})
	if err != nil {
		return nil, err
	}
	return sm.Blobs(), nil
}

// Unpublished returns how many buckets (and bucket lists) hold
// acknowledged writes that no published head carries yet.
func (c *Catalog) Unpublished() (int, error) {
	keys, err := c.store.Outbox().Keys()
	return len(keys), err
}
