package store

import (
	"context"
	"fmt"

	"github.com/dgraph-io/badger/v4"

	"github.com/d3s/d3s/catalog/internal/entry"
)

// Bucket describes one of a user's buckets.
type Bucket struct {
	Name    string
	Created Time
}

// getBucketRec returns a bucket's record, live or tombstone.
func getBucketRec(txn *badger.Txn, user, bucket string) (entry.BucketRec, bool, error) {
	val, found, err := getValue(txn, bucketKey(user, bucket))
	if err != nil || !found {
		return entry.BucketRec{}, false, err
	}
	r, err := entry.UnmarshalBucketRec(val)
	return r, err == nil, err
}

// setBucketRec stores a bucket record written by this node, together with
// its outbox entry for the bucket list.
func setBucketRec(txn *badger.Txn, user, bucket string, r entry.BucketRec) error {
	val := r.Marshal()
	if err := txn.Set(bucketKey(user, bucket), val); err != nil {
		return err
	}
	return txn.Set(outboxKey(user, "", bucket), val)
}

// CreateBucket records a new bucket for user. ErrBucketExists.
func (s *Store) CreateBucket(ctx context.Context, user, bucket string) error {
	now := s.clock.Now()
	err := s.update(ctx, func(txn *badger.Txn) error {
		r, _, err := getBucketRec(txn, user, bucket)
		if err != nil {
			return err
		}
		if r.Live() && !r.Created.IsZero() {
			return fmt.Errorf("create bucket %s: %w", bucket, ErrBucketExists)
		}
		r.Created = now
		return setBucketRec(txn, user, bucket, r)
	})
	if err == nil {
		s.wrote(user, "")
	}
	return err
}

// HeadBucket returns the bucket. ErrNoSuchBucket.
func (s *Store) HeadBucket(ctx context.Context, user, bucket string) (Bucket, error) {
	var b Bucket
	err := s.view(ctx, func(txn *badger.Txn) error {
		var err error
		b, err = getBucket(txn, user, bucket)
		return err
	})
	return b, err
}

// getBucket returns a live bucket. ErrNoSuchBucket.
func getBucket(txn *badger.Txn, user, bucket string) (Bucket, error) {
	r, found, err := getBucketRec(txn, user, bucket)
	if err != nil {
		return Bucket{}, err
	}
	if !found || !r.Live() {
		return Bucket{}, fmt.Errorf("bucket %s: %w", bucket, ErrNoSuchBucket)
	}
	return Bucket{Name: bucket, Created: r.Created}, nil
}

// DeleteBucket removes an empty bucket and purges what is left of it
// (PurgeBucket). ErrNoSuchBucket, ErrBucketNotEmpty if it holds objects
// or multipart uploads.
func (s *Store) DeleteBucket(ctx context.Context, user, bucket string) error {
	mu := s.bucketLock(user, bucket)
	mu.Lock()
	defer mu.Unlock()
	var rec entry.BucketRec
	err := s.update(ctx, func(txn *badger.Txn) error {
		r, found, err := getBucketRec(txn, user, bucket)
		if err != nil {
			return err
		}
		if !found || !r.Live() {
			return fmt.Errorf("bucket %s: %w", bucket, ErrNoSuchBucket)
		}
		if hasLiveEntry(txn, objectsPrefix(user, bucket)) {
			return fmt.Errorf("delete bucket %s: %w", bucket, ErrBucketNotEmpty)
		}
		r.Deleted = s.clock.Now()
		rec = r
		return setBucketRec(txn, user, bucket, r)
	})
	if err != nil {
		return err
	}
	s.wrote(user, "")
	return s.PurgeBucket(ctx, user, bucket, rec.Deleted)
}

// ListBuckets returns user's buckets sorted by name.
func (s *Store) ListBuckets(ctx context.Context, user string) ([]Bucket, error) {
	var out []Bucket
	err := s.view(ctx, func(txn *badger.Txn) error {
		return scanBuckets(txn, user, func(name string, r entry.BucketRec) {
			if r.Live() {
				out = append(out, Bucket{Name: name, Created: r.Created})
			}
		})
	})
	return out, err
}

// scanBuckets calls fn with every bucket record of user, tombstones
// included, in name order.
func scanBuckets(txn *badger.Txn, user string, fn func(name string, r entry.BucketRec)) error {
	prefix := bucketsPrefix(user)
	it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix, PrefetchValues: true, PrefetchSize: 100})
	defer it.Close()
	for it.Rewind(); it.Valid(); it.Next() {
		item := it.Item()
		var r entry.BucketRec
		err := item.Value(func(v []byte) error {
			var err error
			r, err = entry.UnmarshalBucketRec(v)
			return err
		})
		if err != nil {
			return err
		}
		fn(string(item.Key()[len(prefix):]), r)
	}
	return nil
}

// withBucket runs a write into bucket under its shared lock, so that it
// cannot interleave with DeleteBucket; fn checks the bucket exists in its
// own transaction.
func (s *Store) withBucket(user, bucket string, fn func() error) error {
	mu := s.bucketLock(user, bucket)
	mu.RLock()
	defer mu.RUnlock()
	return fn()
}

// BucketRec returns k's bucket record, live or tombstone.
func (s *Store) BucketRec(k Key) (entry.BucketRec, bool, error) {
	var (
		r     entry.BucketRec
		found bool
	)
	err := s.db.View(func(txn *badger.Txn) error {
		var err error
		r, found, err = getBucketRec(txn, k.User, k.Bucket)
		return err
	})
	return r, found, err
}
