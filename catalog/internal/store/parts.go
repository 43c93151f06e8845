package store

import (
	"context"
	"fmt"

	"github.com/dgraph-io/badger/v4"

	"github.com/d3s/d3s/catalog/internal/entry"
)

// PutPart records part p of an upload and returns the part it replaced
// (nil if none), whose bytes the caller may now release. p.Time and
// p.Writer are stamped when zero. ErrNoSuchUpload.
func (s *Store) PutPart(ctx context.Context, user, bucket, key, id string, p *Part) (*Part, error) {
	e := p.Entry(id)
	s.Stamp(e)
	p.Time, p.Writer = e.Time, e.Writer
	val, err := e.MarshalBinary()
	if err != nil {
		return nil, err
	}
	var replaced *Part
	err = s.withBucket(user, bucket, func() error {
		return s.update(ctx, func(txn *badger.Txn) error {
			replaced = nil
			if _, err := getUpload(txn, user, bucket, key, id); err != nil {
				return err
			}
			old, err := s.putTxn(txn, user, bucket, e.Key, val, nil)
			if old != nil {
				op := partOf(old, p.Number)
				replaced = &op
			}
			return err
		})
	})
	if err == nil {
		s.wrote(user, bucket)
	}
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
		parts, truncated, err = scanParts(txn, user, bucket, id, after, max)
		return err
	})
	return u, parts, truncated, err
}

// scanParts reads an upload's live parts numbered above after.
func scanParts(txn *badger.Txn, user, bucket, id string, after, max int) ([]Part, bool, error) {
	prefix := ObjectKey(user, bucket, entry.PartsPrefix(id))
	it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix})
	defer it.Close()
	var parts []Part
	for it.Seek(ObjectKey(user, bucket, entry.PartKey(id, after+1))); it.Valid(); it.Next() {
		var e Entry
		if err := it.Item().Value(e.UnmarshalBinary); err != nil {
			return nil, false, fmt.Errorf("upload %s: %w", id, err)
		}
		_, number, ok := entry.ParsePartKey(e.Key)
		if !ok || e.DeleteMarker {
			continue
		}
		if max > 0 && len(parts) == max {
			return parts, true, nil
		}
		parts = append(parts, partOf(&e, number))
	}
	return parts, false, nil
}

// CompleteUpload ends an upload by making e the current entry of its key,
// atomically with delete markers for the upload and all its parts. It
// returns the entry it replaced and the removed parts, whose references
// the caller may now release. ErrNoSuchUpload, ErrNoSuchBucket, or
// check's error.
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
			if parts, err = s.removeUpload(txn, user, bucket, e.Key, id); err != nil {
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

// AbortUpload ends an upload with delete markers for it and its parts and
// returns the parts, whose references the caller may now release.
// ErrNoSuchUpload.
func (s *Store) AbortUpload(ctx context.Context, user, bucket, key, id string) ([]Part, error) {
	var parts []Part
	err := s.withBucket(user, bucket, func() error {
		return s.update(ctx, func(txn *badger.Txn) error {
			var err error
			parts, err = s.removeUpload(txn, user, bucket, key, id)
			return err
		})
	})
	if err == nil {
		s.wrote(user, bucket)
	}
	return parts, err
}

// removeUpload writes delete markers for an upload and its parts in txn.
func (s *Store) removeUpload(txn *badger.Txn, user, bucket, key, id string) ([]Part, error) {
	if _, err := getUpload(txn, user, bucket, key, id); err != nil {
		return nil, err
	}
	parts, _, err := scanParts(txn, user, bucket, id, 0, 0)
	if err != nil {
		return nil, err
	}
	for _, p := range parts {
		if _, _, err := s.deleteTxn(txn, user, bucket, entry.PartKey(id, p.Number)); err != nil {
			return nil, err
		}
	}
	_, _, err = s.deleteTxn(txn, user, bucket, entry.UploadKey(key, id))
	return parts, err
}
