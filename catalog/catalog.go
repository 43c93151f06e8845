package catalog

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dgraph-io/badger/v4"
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
// multipart uploads.
type Catalog struct {
	db     *badger.DB
	nodeID string
	clock  *Clock
	log    *slog.Logger
	now    func() time.Time
	ttl    time.Duration
	// buckets serialises DeleteBucket against writes into the bucket:
	// badger's conflict detection cannot see a key inserted into a range
	// that DeleteBucket scanned empty.
	buckets [64]sync.RWMutex
	seed    maphash.Seed
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
	return &Catalog{
		db:     cfg.DB,
		nodeID: cfg.NodeID,
		clock:  NewClock(now),
		log:    log.With("component", "catalog"),
		now:    now,
		ttl:    ttl,
		seed:   maphash.MakeSeed(),
	}, nil
}

// tombstoneCutoff returns the time before which delete markers have
// outlived TombstoneTTL: compaction drops them, and writes older than it
// are not republished after a partition.
func (c *Catalog) tombstoneCutoff() Time {
	return Time{Wall: c.now().Add(-c.ttl).UnixNano()}
}

// Clock returns the catalog's hybrid logical clock.
func (c *Catalog) Clock() *Clock { return c.clock }

// bucketLock returns the lock guarding a bucket's existence.
func (c *Catalog) bucketLock(user, bucket string) *sync.RWMutex {
	var h maphash.Hash
	h.SetSeed(c.seed)
	h.WriteString(user)
	h.WriteByte(0)
	h.WriteString(bucket)
	return &c.buckets[h.Sum64()%uint64(len(c.buckets))]
}

// maxRetries bounds the retries of a transaction that keeps conflicting.
const maxRetries = 64

// update runs fn in a read-write transaction and commits it, retrying
// from scratch on badger.ErrConflict; ErrConflict (wrapping badger's)
// after maxRetries.
func (c *Catalog) update(ctx context.Context, fn func(txn *badger.Txn) error) error {
	for range maxRetries {
		if err := ctx.Err(); err != nil {
			return err
		}
		err := c.db.Update(fn)
		if !errors.Is(err, badger.ErrConflict) {
			return err
		}
	}
	return fmt.Errorf("%w after %d tries: %w", ErrConflict, maxRetries, badger.ErrConflict)
}

// view runs fn in a read-only transaction.
func (c *Catalog) view(ctx context.Context, fn func(txn *badger.Txn) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return c.db.View(fn)
}

// getValue returns a copy of key's value, or found=false.
func getValue(txn *badger.Txn, key []byte) (val []byte, found bool, err error) {
	item, err := txn.Get(key)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	val, err = item.ValueCopy(nil)
	return val, err == nil, err
}

// hasPrefix reports whether any key starts with prefix.
func hasPrefix(txn *badger.Txn, prefix []byte) bool {
	opts := badger.IteratorOptions{Prefix: prefix}
	it := txn.NewIterator(opts)
	defer it.Close()
	it.Rewind()
	return it.Valid()
}
