package store

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

	"github.com/d3s/d3s/catalog/internal/entry"
)

// The catalogue's values (catalog/internal/entry).
type (
	// Entry is one object version in a bucket index.
	Entry = entry.Entry
	// Time is a hybrid logical clock reading.
	Time = entry.Time
	// Metadata is the client-supplied metadata of an object version.
	Metadata = entry.Metadata
	// Checksum is an additional checksum of an object or part.
	Checksum = entry.Checksum
)

// Key names a bucket's catalogue: its index, outbox, base record, mark
// and manifest; Bucket "" is the user's bucket list.
type Key struct{ User, Bucket string }

// Config configures a Store.
type Config struct {
	// DB is the node's database, opened with SyncWrites; the store keeps
	// its keys under "cat/".
	DB *badger.DB
	// NodeID identifies this node as the writer of its entries.
	NodeID string
	Logger *slog.Logger
	// Now reads the physical clock of the store's hybrid logical clock.
	Now func() time.Time
	// Wrote, when set, is called after a write of this node to a
	// bucket (or, with bucket "", to the user's bucket list) committed:
	// the outbox holds something new to publish.
	Wrote func(user, bucket string)
	// Replaced, when set, is called with the object versions and
	// multipart parts (never delete markers or upload entries) that a
	// merge, purge or resync removed from the index, after the removal
	// committed.
	Replaced func(old []*Entry)
	// Marked, when set, is called when a merge raised k's mark
	// (marks.go), after it committed.
	Marked func(k Key, t Time)
}

// Store is the local, durable index of users' buckets, objects and
// multipart uploads, with the publication state kept next to it: the
// outbox, the base records, the marks, the manifests and the snapshot
// garbage (doc.go).
type Store struct {
	db       *badger.DB
	nodeID   string
	clock    *entry.Clock
	log      *slog.Logger
	wrote    func(user, bucket string)
	replaced func(old []*Entry)
	marked   func(k Key, t Time)
	// buckets serialises DeleteBucket against writes into the bucket:
	// badger's conflict detection cannot see a key inserted into a range
	// that DeleteBucket scanned empty.
	buckets [64]sync.RWMutex
	seed    maphash.Seed
	// strong: merged records confirm no outbox entry (a record read is
	// not known to be held by a majority; only the writer's own accepted
	// swap confirms, catalog/strong.go).
	strong atomic.Bool
}

// SetStrong makes merges leave the outbox alone (strong mode).
func (s *Store) SetStrong(on bool) { s.strong.Store(on) }

// New returns a store over cfg.DB; cfg.DB, cfg.Now and cfg.Logger must be
// set.
func New(cfg Config) *Store {
	nop := func(string, string) {}
	s := &Store{
		db:       cfg.DB,
		nodeID:   cfg.NodeID,
		clock:    entry.NewClock(cfg.Now),
		log:      cfg.Logger,
		wrote:    cfg.Wrote,
		replaced: cfg.Replaced,
		marked:   cfg.Marked,
		seed:     maphash.MakeSeed(),
	}
	if s.wrote == nil {
		s.wrote = nop
	}
	if s.replaced == nil {
		s.replaced = func([]*Entry) {}
	} else {
		s.replaced = func(old []*Entry) { cfg.Replaced(withData(old)) }
	}
	if s.marked == nil {
		s.marked = func(Key, Time) {}
	}
	return s
}

// Clock returns the store's hybrid logical clock.
func (s *Store) Clock() *entry.Clock { return s.clock }

// NodeID returns the writer ID of this node's entries.
func (s *Store) NodeID() string { return s.nodeID }

// bucketLock returns the lock guarding a bucket's existence.
func (s *Store) bucketLock(user, bucket string) *sync.RWMutex {
	var h maphash.Hash
	h.SetSeed(s.seed)
	h.WriteString(user)
	h.WriteByte(0)
	h.WriteString(bucket)
	return &s.buckets[h.Sum64()%uint64(len(s.buckets))]
}

// maxRetries bounds the retries of a transaction that keeps conflicting.
const maxRetries = 64

// update runs fn in a read-write transaction and commits it, retrying
// from scratch on badger.ErrConflict; ErrConflict (wrapping badger's)
// after maxRetries.
func (s *Store) update(ctx context.Context, fn func(txn *badger.Txn) error) error {
	for range maxRetries {
		if err := ctx.Err(); err != nil {
			return err
		}
		err := s.db.Update(fn)
		if !errors.Is(err, badger.ErrConflict) {
			return err
		}
	}
	return fmt.Errorf("%w after %d tries: %w", ErrConflict, maxRetries, badger.ErrConflict)
}

// view runs fn in a read-only transaction.
func (s *Store) view(ctx context.Context, fn func(txn *badger.Txn) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.View(fn)
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
