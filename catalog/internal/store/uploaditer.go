package store

import (
	"context"
	"fmt"

	"github.com/dgraph-io/badger/v4"
)

// UploadIterator walks a bucket's multipart uploads in (key, initiation,
// upload ID) order over one snapshot; it is used like Iterator.
type UploadIterator struct {
	txn    *badger.Txn
	it     *badger.Iterator
	base   []byte // the bucket's upload key prefix
	prefix []byte // base plus the escaped key prefix
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
	base := uploadsPrefix(user, bucket)
	esc := appendEscaped(append([]byte(nil), base...), prefix)
	full := esc[:len(esc)-2] // without the terminator: a prefix of longer keys
	it := &UploadIterator{txn: txn, base: base, prefix: full}
	it.it = txn.NewIterator(badger.IteratorOptions{Prefix: full})
	it.Seek("", "")
	return it, nil
}

// Seek positions the iterator so that Next returns the first upload after
// (key, id) in list order: with id "", the first upload of key itself.
func (it *UploadIterator) Seek(key, id string) {
	k := appendEscaped(append([]byte(nil), it.base...), key)
	if id != "" {
		k = append(k, id...)
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
	if !it.it.Valid() {
		return false
	}
	item := it.it.Item()
	err := item.Value(func(v []byte) error {
		var err error
		it.upload, err = unmarshalUpload(v)
		return err
	})
	if err != nil {
		it.err = fmt.Errorf("upload %q: %w", item.Key(), err)
		return false
	}
	return true
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
