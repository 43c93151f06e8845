package store

import (
	"context"
	"fmt"

	"github.com/dgraph-io/badger/v4"

	"github.com/d3s/d3s/catalog/internal/entry"
)

// UploadIterator walks a bucket's multipart uploads in (key, initiation,
// upload ID) order over one snapshot, skipping ended ones (their delete
// markers); it is used like Iterator.
type UploadIterator struct {
	txn    *badger.Txn
	it     *badger.Iterator
	base   []byte // the bucket's object key prefix
	prefix []byte // base plus the uploads' key prefix
	fresh  bool
	upload Upload
	err    error
}

// Uploads returns an iterator over bucket's uploads whose keys start with
// prefix. The caller must Close it. ErrNoSuchBucket.
func (s *Store) Uploads(ctx context.Context, user, bucket, prefix string) (*UploadIterator, error) {
	txn, err := s.bucketTxn(ctx, user, bucket)
	if err != nil {
		return nil, err
	}
	base := objectsPrefix(user, bucket)
	full := append(base[:len(base):len(base)], entry.UploadKeyPrefix(prefix)...)
	it := &UploadIterator{txn: txn, base: base, prefix: full}
	it.it = txn.NewIterator(badger.IteratorOptions{Prefix: full})
	it.Seek("", "")
	return it, nil
}

// Seek positions the iterator so that Next returns the first upload after
// (key, id) in list order: with id "", the first upload of key itself.
func (it *UploadIterator) Seek(key, id string) {
	k := append(it.base[:len(it.base):len(it.base)], entry.UploadKey(key, id)...)
	if id != "" {
		k = append(k, 0) // strictly after id
	}
	if string(k) < string(it.prefix) {
		k = it.prefix
	}
	it.it.Seek(k)
	it.fresh = true
}

// Next advances to the next upload and reports whether there is one.
func (it *UploadIterator) Next() bool {
	if it.err != nil {
		return false
	}
	if !it.fresh {
		it.it.Next()
	}
	it.fresh = false
	for ; it.it.Valid(); it.it.Next() {
		item := it.it.Item()
		var e Entry
		if err := item.Value(e.UnmarshalBinary); err != nil {
			it.err = fmt.Errorf("upload %q: %w", item.Key(), err)
			return false
		}
		if e.DeleteMarker {
			continue
		}
		var ok bool
		if it.upload, ok = uploadOf(&e); !ok {
			it.err = fmt.Errorf("upload %q: %w", item.Key(), entry.ErrCorrupt)
			return false
		}
		return true
	}
	return false
}

// Upload returns the current upload.
func (it *UploadIterator) Upload() Upload { return it.upload }

// Err returns the error that stopped the iteration, if any.
func (it *UploadIterator) Err() error { return it.err }

// Close releases the snapshot.
func (it *UploadIterator) Close() {
	it.it.Close()
	it.txn.Discard()
}
