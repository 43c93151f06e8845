package dht

import (
	"context"
	"fmt"
	"sync"

	"github.com/dgraph-io/badger/v4"
	ds "github.com/ipfs/go-datastore"
	dsq "github.com/ipfs/go-datastore/query"
)

// batch collects writes; the last write of a key wins, as if applied in
// order. A nil value marks a delete.
type batch struct {
	d   *Datastore
	mu  sync.Mutex
	ops map[string]*[]byte
}

func (b *batch) Put(ctx context.Context, key ds.Key, value []byte) error {
	v := append([]byte(nil), value...)
	b.mu.Lock()
	b.ops[key.String()] = &v
	b.mu.Unlock()
	return nil
}

func (b *batch) Delete(ctx context.Context, key ds.Key) error {
	b.mu.Lock()
	b.ops[key.String()] = nil
	b.mu.Unlock()
	return nil
}

// Commit writes every collected operation with one badger write batch.
func (b *batch) Commit(ctx context.Context) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	wb := b.d.db.NewWriteBatch()
	defer wb.Cancel()
	for k, v := range b.ops {
		var err error
		if v == nil {
			err = wb.Delete([]byte(b.d.prefix + k))
		} else {
			err = wb.Set([]byte(b.d.prefix+k), *v)
		}
		if err != nil {
			return fmt.Errorf("datastore batch %s: %w", k, err)
		}
	}
	if err := wb.Flush(); err != nil {
		return fmt.Errorf("datastore batch commit: %w", err)
	}
	clear(b.ops)
	return nil
}

// queryIter streams the entries of one badger prefix scan.
type queryIter struct {
	txn      *badger.Txn
	it       *badger.Iterator
	prefix   []byte
	strip    int
	keysOnly bool
	once     sync.Once
	started  bool
	done     bool
}

func newQueryIter(db *badger.DB, prefix []byte, strip int, keysOnly bool) *queryIter {
	txn := db.NewTransaction(false)
	opts := badger.DefaultIteratorOptions
	opts.Prefix = prefix
	opts.PrefetchValues = !keysOnly
	opts.PrefetchSize = 16
	return &queryIter{txn: txn, it: txn.NewIterator(opts), prefix: prefix, strip: strip, keysOnly: keysOnly}
}

func (q *queryIter) next() (dsq.Result, bool) {
	if q.done {
		return dsq.Result{}, false
	}
	if !q.started {
		q.started = true
		q.it.Rewind()
	} else {
		q.it.Next()
	}
	if !q.it.Valid() {
		q.close()
		return dsq.Result{}, false
	}
	item := q.it.Item()
	e := dsq.Entry{Key: string(item.Key()[q.strip:]), Size: int(item.ValueSize())}
	if !q.keysOnly {
		v, err := item.ValueCopy(nil)
		if err != nil {
			return dsq.Result{Error: fmt.Errorf("datastore query %s: %w", e.Key, err)}, true
		}
		e.Value = v
	}
	return dsq.Result{Entry: e}, true
}

// close ends the scan; it may be called more than once.
func (q *queryIter) close() error {
	q.once.Do(func() {
		q.done = true
		q.it.Close()
		q.txn.Discard()
	})
	return nil
}
