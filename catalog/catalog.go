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
}

// Catalog is the local, durable index of users' buckets, objects and
// multipart uploads.
type Catalog struct {
	db     *badger.DB
	nodeID string
	clock  *Clock
	log    *slog.Logger
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
	return &Catalog{
		db:     cfg.DB,
		nodeID: cfg.NodeID,
		clock:  NewClock(cfg.Now),
		log:    log.With("component", "catalog"),
		seed:   maphash.MakeSeed(),
	}, nil
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
// from scratch on badger.ErrConflict.
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
	return fmt.Errorf("catalog: update: %w", badger.ErrConflict)
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
