package dht

import (
	"context"
	"errors"
	"fmt"
	"path"

	"github.com/dgraph-io/badger/v4"
	ds "github.com/ipfs/go-datastore"
	dsq "github.com/ipfs/go-datastore/query"
)

// DatastorePrefix prefixes, in the node's badger database, every key of
// the datastore kad-dht keeps its records in.
const DatastorePrefix = "dht/kv"

// Datastore is a go-datastore (ds.Batching) over a prefix of a shared
// badger database, so the records kad-dht stores survive restarts. It does
// not own the database: Close is a no-op and the node closes badger.
type Datastore struct {
	db     *badger.DB
	prefix string
}

var _ ds.Batching = (*Datastore)(nil)

// NewDatastore returns a datastore keeping its keys under prefix in db.
func NewDatastore(db *badger.DB, prefix string) *Datastore {
	return &Datastore{db: db, prefix: prefix}
}

func (d *Datastore) bkey(k ds.Key) []byte {
	return []byte(d.prefix + k.String())
}

// Get returns the value of key, or ds.ErrNotFound.
func (d *Datastore) Get(ctx context.Context, key ds.Key) ([]byte, error) {
	var val []byte
	err := d.db.View(func(txn *badger.Txn) error {
		item, err := txn.Get(d.bkey(key))
		if err != nil {
			return err
		}
		val, err = item.ValueCopy(nil)
		return err
	})
	return val, d.wrap("get", key, err)
}

// Has reports whether key is present.
func (d *Datastore) Has(ctx context.Context, key ds.Key) (bool, error) {
	_, err := d.GetSize(ctx, key)
	if errors.Is(err, ds.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// GetSize returns the length of key's value, or ds.ErrNotFound.
func (d *Datastore) GetSize(ctx context.Context, key ds.Key) (int, error) {
	size := -1
	err := d.db.View(func(txn *badger.Txn) error {
		item, err := txn.Get(d.bkey(key))
		if err == nil {
			size = int(item.ValueSize())
		}
		return err
	})
	return size, d.wrap("size", key, err)
}

// Put stores value under key.
func (d *Datastore) Put(ctx context.Context, key ds.Key, value []byte) error {
	err := d.db.Update(func(txn *badger.Txn) error {
		return txn.Set(d.bkey(key), value)
	})
	return d.wrap("put", key, err)
}

// Delete removes key; deleting a missing key is not an error.
func (d *Datastore) Delete(ctx context.Context, key ds.Key) error {
	err := d.db.Update(func(txn *badger.Txn) error {
		return txn.Delete(d.bkey(key))
	})
	return d.wrap("delete", key, err)
}

// Sync makes every write before it durable.
func (d *Datastore) Sync(ctx context.Context, prefix ds.Key) error {
	if err := d.db.Sync(); err != nil {
		return fmt.Errorf("datastore sync: %w", err)
	}
	return nil
}

// Close does nothing: the database belongs to the node.
func (d *Datastore) Close() error { return nil }

// wrap maps badger's not-found to ds.ErrNotFound, which kad-dht compares
// with ==, and adds context to every other error.
func (d *Datastore) wrap(op string, key ds.Key, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, badger.ErrKeyNotFound):
		return ds.ErrNotFound
	}
	return fmt.Errorf("datastore %s %s: %w", op, key, err)
}

// Query iterates the keys under q.Prefix in key order, applying q's
// filters, orders, offset and limit. The results hold a badger read
// transaction until they are closed or exhausted.
func (d *Datastore) Query(ctx context.Context, q dsq.Query) (dsq.Results, error) {
	scan := d.prefix
	if q.Prefix != "" {
		if p := path.Clean("/" + q.Prefix); p != "/" {
			scan += p
		}
	}
	it := newQueryIter(d.db, []byte(scan), len(d.prefix), q.KeysOnly)
	raw := dsq.ResultsFromIterator(q, dsq.Iterator{Next: it.next, Close: it.close})
	return dsq.NaiveQueryApply(q, raw), nil
}

// Batch returns a batch whose writes reach badger together on Commit.
func (d *Datastore) Batch(ctx context.Context) (ds.Batch, error) {
	return &batch{d: d, ops: make(map[string]*[]byte)}, nil
}
