package store

import (
	"context"
	"fmt"

	"github.com/dgraph-io/badger/v4"
)

// PutPart records part p of an upload and returns the part it replaced
// (nil if none), whose bytes the caller may now release. p.Time is
// stamped when zero. ErrNoSuchUpload.
func (s *Store) PutPart(ctx context.Context, user, bucket, key, id string, p *Part) (*Part, error) {
	if p.Time.IsZero() {
		p.Time = s.clock.Now()
	}
	val := marshalPart(p)
	pkey := partKey(id, p.Number)
	var replaced *Part
	err := s.update(ctx, func(txn *badger.Txn) error {
		replaced = nil
		if _, err := getUpload(txn, user, bucket, key, id); err != nil {
			return err
		}
		old, found, err := getValue(txn, pkey)
		if err != nil {
			return err
		}
		if found {
			op, err := unmarshalPart(old)
			if err != nil {
				return err
			}
			replaced = &op
		}
		return txn.Set(pkey, val)
	})
	return replaced, err
}

// Parts returns up to max parts (all when max <= 0) of an upload with
// numbers above after, and whether more follow. ErrNoSuchUpload.
func (s *Store) Parts(ctx context.Context, user, bucket, key, id string, after, max int) (Upload, []Part, bool, error) {
	var (
		u         Upload
		parts     []Part
		truncated bool
	)
	err := s.view(ctx, func(txn *badger.Txn) error {
		var err error
		if u, err = getUpload(txn, user, bucket, key, id); err != nil {
			return err
		}
		parts, truncated, err = scanParts(txn, id, after, max)
		return err
	})
	return u, parts, truncated, err
}

// scanParts reads an upload's parts numbered above after.
func scanParts(txn *badger.Txn, id string, after, max int) ([]Part, bool, error) {
	it := txn.NewIterator(badger.IteratorOptions{Prefix: partsPrefix(id)})
	defer it.Close()
	var parts []Part
	for it.Seek(partKey(id, after+1)); it.Valid(); it.Next() {
		if max > 0 && len(parts) == max {
			return parts, true, nil
		}
		var p Part
		err := it.Item().Value(func(v []byte) error {
			var err error
			p, err = unmarshalPart(v)
			return err
		})
		if err != nil {
			return nil, false, fmt.Errorf("upload %s: %w", id, err)
		}
		parts = append(parts, p)
	}
	return parts, false, nil
}

// CompleteUpload ends an upload by making e the current entry of its key,
// atomically with removing the upload and all its parts. It returns the
// entry it replaced and the removed parts, whose references the caller
// may now release. ErrNoSuchUpload, ErrNoSuchBucket, or check's error.
func (s *Store) CompleteUpload(ctx context.Context, user, bucket, id string, e *Entry, check Check) (*Entry, []Part, error) {
	s.Stamp(e)
	val, err := e.MarshalBinary()
	if err != nil {
		return nil, nil, err
	}
	var (
		replaced *Entry
		parts    []Part
	)
	err = s.withBucket(user, bucket, func() error {
		return s.update(ctx, func(txn *badger.Txn) error {
			var err error
			if parts, err = removeUpload(txn, user, bucket, e.Key, id); err != nil {
				return err
			}
			replaced, err = s.putTxn(txn, user, bucket, e.Key, val, check)
			return err
		})
	})
	if err == nil {
		s.wrote(user, bucket)
	}
	return replaced, parts, err
}

// AbortUpload removes an upload and returns its parts, whose references
// the caller may now release. ErrNoSuchUpload.
func (s *Store) AbortUpload(ctx context.Context, user, bucket, key, id string) ([]Part, error) {
	var parts []Part
	err := s.update(ctx, func(txn *badger.Txn) error {
		var err error
		parts, err = removeUpload(txn, user, bucket, key, id)
		return err
	})
	return parts, err
}

// removeUpload deletes an upload record and its parts in txn.
func removeUpload(txn *badger.Txn, user, bucket, key, id string) ([]Part, error) {
	if _, err := getUpload(txn, user, bucket, key, id); err != nil {
		return nil, err
	}
	parts, _, err := scanParts(txn, id, 0, 0)
	if err != nil {
		return nil, err
	}
	for _, p := range parts {
		if err := txn.Delete(partKey(id, p.Number)); err != nil {
			return nil, err
		}
	}
	return parts, txn.Delete(uploadKey(user, bucket, key, id))
}
