package catalog

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/d3s/d3s/catalog/internal/store"
)

// Config configures a Catalog.
type Config struct {
	// DB is the node's database, opened with SyncWrites so that a returned
	// write is durable. The catalog keeps its keys under "cat/".
	DB *badger.DB
	// NodeID identifies this node as the writer of its entries.
	NodeID string
	Logger *slog.Logger
	// Now reads the physical clock; time.Now when nil.
	Now func() time.Time
	// TombstoneTTL is how long a delete marker is kept after its time
	// before snapshot compaction may drop it (doc.go, "Delete markers");
	// DefaultTombstoneTTL when zero or negative.
	TombstoneTTL time.Duration
}

// DefaultTombstoneTTL is how long delete markers are kept: 7 days. A
// marker must outlive every copy of the versions it deletes that could
// still reach the network, that is any partition or node absence after
// which such a copy is published again; a week covers an outage over a
// long week-end plus the time to notice and repair it, while a bucket
// whose keys are deleted pays for their markers (about 60 bytes each in
// every snapshot, index and listing scan) for a week at most. Past it, a
// node that comes back after a longer absence does not republish its
// writes older than the TTL (the other nodes never see them), and a
// version older than a dropped marker that still reaches the network
// from such a node's outbox shows its key again (doc.go, "Delete
// markers").
const DefaultTombstoneTTL = 7 * 24 * time.Hour

// Catalog is the local, durable index of users' buckets, objects and
// multipart uploads (kept by catalog/internal/store), and its publisher.
type Catalog struct {
	store *store.Store
	now   func() time.Time
	ttl   time.Duration
	// sync is set by StartSync; nil while the catalogue is local only.
	sync atomic.Pointer[syncer]
}

// New returns a catalog over cfg.DB.
func New(cfg Config) (*Catalog, error) {
	if cfg.DB == nil {
		return nil, errors.New("catalog: nil DB")
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	ttl := cfg.TombstoneTTL
	if ttl <= 0 {
		ttl = DefaultTombstoneTTL
	}
	c := &Catalog{now: now, ttl: ttl}
	c.store = store.New(store.Config{
		DB:       cfg.DB,
		NodeID:   cfg.NodeID,
		Logger:   log.With("component", "catalog"),
		Now:      now,
		Wrote:    c.kick,
		Replaced: c.replaced,
		Marked:   c.marked,
	})
	if err := c.store.MigrateUploads(context.Background()); err != nil {
		return nil, fmt.Errorf("catalog: migrate multipart uploads: %w", err)
	}
	return c, nil
}

// tombstoneCutoff returns the time before which delete markers have
// outlived TombstoneTTL: compaction drops them, and writes older than it
// are not republished after a partition.
func (c *Catalog) tombstoneCutoff() Time {
	return Time{Wall: c.now().Add(-c.ttl).UnixNano()}
}

// Clock returns the catalog's hybrid logical clock.
func (c *Catalog) Clock() *Clock { return c.store.Clock() }

// marked tells the syncer that a merge raised k's mark.
func (c *Catalog) marked(k bkey, t Time) {
	if s := c.sync.Load(); s != nil {
		s.watchMark(k, t)
	}
}
