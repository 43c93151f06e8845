package store

import (
	"context"
	"fmt"

	"github.com/dgraph-io/badger/v4"

	"github.com/d3s/d3s/catalog/internal/entry"
)

// Iterator walks a bucket's current entries in key byte order over one
// consistent snapshot, skipping delete markers. Use it as:
//
//	it, err := c.Objects(ctx, user, bucket, prefix)
//	defer it.Close()
//	for it.Seek(after); it.Next(); {
//		e := it.Entry()
//	}
//	err = it.Err()
//
// Seek may be called again at any point to jump forward (or back).
type Iterator struct {
	txn    *badger.Txn
	it     *badger.Iterator
	base   int // length of the bucket's key prefix
	prefix []byte
	fresh  bool // positioned by Seek, not yet returned by Next
	parts  bool // yield part entries too, not only objects
	entry  Entry
	err    error
}

// bucketTxn opens a read transaction in which bucket exists; the caller
// discards it. ErrNoSuchBucket.
func (s *Store) bucketTxn(ctx context.Context, user, bucket string) (*badger.Txn, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	txn := s.db.NewTransaction(false)
	if _, err := getBucket(txn, user, bucket); err != nil {
		txn.Discard()
		return nil, err
	}
	return txn, nil
}

// Objects returns an iterator over bucket's object entries whose keys
// start with prefix. The caller must Close it. ErrNoSuchBucket.
func (s *Store) Objects(ctx context.Context, user, bucket, prefix string) (*Iterator, error) {
	return s.iterate(ctx, user, bucket, prefix, false)
}

// Refs returns an iterator over the bucket's entries that reference
// swarm data: its objects, then the parts of multipart uploads. The
// caller must Close it. ErrNoSuchBucket.
func (s *Store) Refs(ctx context.Context, user, bucket string) (*Iterator, error) {
	return s.iterate(ctx, user, bucket, "", true)
}

func (s *Store) iterate(ctx context.Context, user, bucket, prefix string, parts bool) (*Iterator, error) {
	txn, err := s.bucketTxn(ctx, user, bucket)
	if err != nil {
		return nil, err
	}
	base := objectsPrefix(user, bucket)
	full := append(base[:len(base):len(base)], prefix...)
	it := &Iterator{txn: txn, base: len(base), prefix: full, parts: parts}
	it.it = txn.NewIterator(badger.IteratorOptions{Prefix: full})
	it.Seek("")
	return it, nil
}

// Seek positions the iterator so that Next returns the first entry whose
// key is >= key (and within the prefix).
func (it *Iterator) Seek(key string) {
	k := append(it.prefix[:it.base:it.base], key...)
	if string(k) < string(it.prefix) {
		k = it.prefix
	}
	it.it.Seek(k)
	it.fresh = true
}

// Next advances to the next entry and reports whether there is one.
func (it *Iterator) Next() bool {
	if it.err != nil {
		return false
	}
	if !it.fresh {
		it.it.Next()
	}
	it.fresh = false
	for it.it.Valid() && it.skip() {
		it.it.Next()
	}
	if !it.it.Valid() || (!it.parts && it.reserved()) {
		return false
	}
	item := it.it.Item()
	err := item.Value(func(v []byte) error { return it.entry.UnmarshalBinary(v) })
	if err != nil {
		it.err = fmt.Errorf("entry %q: %w", item.Key()[it.base:], err)
		return false
	}
	return true
}

// reserved reports whether the item under the cursor is not an object's
// (a multipart entry: they sort after every object).
func (it *Iterator) reserved() bool {
	return entry.KindOf(string(it.it.Item().Key()[it.base:])) != entry.KindObject
}

// skip reports whether the item under the cursor is one the iterator does
// not yield: a delete marker, or an upload entry (which references no
// data).
func (it *Iterator) skip() bool {
	k := it.it.Item().Key()[it.base:]
	if len(k) > 0 && k[0] == entry.Reserved[0] && (!it.parts || entry.KindOf(string(k)) != entry.KindPart) {
		return it.parts // objects only: Next stops here
	}
	return it.marker()
}

// marker reports whether the item under the cursor is a delete marker,
// which listings skip.
func (it *Iterator) marker() bool {
	m := false
	_ = it.it.Item().Value(func(v []byte) error {
		m = entry.IsMarker(v)
		return nil
	})
	return m
}

// Entry returns the current entry; it is overwritten by the next call to
// Next, so copy it to keep it.
func (it *Iterator) Entry() *Entry { return &it.entry }

// Err returns the error that stopped the iteration, if any.
func (it *Iterator) Err() error { return it.err }

// Close releases the snapshot.
func (it *Iterator) Close() {
	it.it.Close()
	it.txn.Discard()
}
