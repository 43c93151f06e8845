package catalog

import (
	"context"
	"fmt"

	"github.com/dgraph-io/badger/v4"
)

// bucketVersion is the first byte of an encoded bucket record.
const bucketVersion = 1

// Bucket describes one of a user's buckets.
type Bucket struct {
	Name    string
	Created Time
}

func marshalBucket(b Bucket) []byte {
	enc := encoder{}
	enc.byte1(bucketVersion)
	enc.varint(b.Created.Wall)
	enc.uvarint(uint64(b.Created.Logical))
	return enc.b
}

func unmarshalBucket(name string, val []byte) (Bucket, error) {
	d := decoder{b: val}
	if v := d.byte1(); d.err == nil && v != bucketVersion {
		return Bucket{}, fmt.Errorf("bucket version %d: %w", v, ErrUnknownVersion)
	}
	b := Bucket{Name: name}
	b.Created.Wall = d.varint()
	b.Created.Logical = uint32(d.uvarint())
	return b, d.finish("bucket")
}

// CreateBucket records a new bucket for user. ErrBucketExists.
func (c *Catalog) CreateBucket(ctx context.Context, user, bucket string) error {
	key := bucketKey(user, bucket)
	now := c.clock.Now()
	return c.update(ctx, func(txn *badger.Txn) error {
		_, found, err := getValue(txn, key)
		if err != nil {
			return err
		}
		if found {
			return fmt.Errorf("create bucket %s: %w", bucket, ErrBucketExists)
		}
		return txn.Set(key, marshalBucket(Bucket{Name: bucket, Created: now}))
	})
}

// HeadBucket returns the bucket. ErrNoSuchBucket.
func (c *Catalog) HeadBucket(ctx context.Context, user, bucket string) (Bucket, error) {
	var b Bucket
	err := c.view(ctx, func(txn *badger.Txn) error {
		var err error
		b, err = getBucket(txn, user, bucket)
		return err
	})
	return b, err
}

func getBucket(txn *badger.Txn, user, bucket string) (Bucket, error) {
	val, found, err := getValue(txn, bucketKey(user, bucket))
	if err != nil {
		return Bucket{}, err
	}
	if !found {
		return Bucket{}, fmt.Errorf("bucket %s: %w", bucket, ErrNoSuchBucket)
	}
	return unmarshalBucket(bucket, val)
}

// DeleteBucket removes an empty bucket. ErrNoSuchBucket, ErrBucketNotEmpty
// if it holds objects or multipart uploads.
func (c *Catalog) DeleteBucket(ctx context.Context, user, bucket string) error {
	mu := c.bucketLock(user, bucket)
	mu.Lock()
	defer mu.Unlock()
	return c.update(ctx, func(txn *badger.Txn) error {
		if _, err := getBucket(txn, user, bucket); err != nil {
			return err
		}
		if hasPrefix(txn, objectsPrefix(user, bucket)) || hasPrefix(txn, uploadsPrefix(user, bucket)) {
			return fmt.Errorf("delete bucket %s: %w", bucket, ErrBucketNotEmpty)
		}
		return txn.Delete(bucketKey(user, bucket))
	})
}

// ListBuckets returns user's buckets sorted by name.
func (c *Catalog) ListBuckets(ctx context.Context, user string) ([]Bucket, error) {
	var out []Bucket
	prefix := bucketsPrefix(user)
	err := c.view(ctx, func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix, PrefetchValues: true, PrefetchSize: 100})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			item := it.Item()
			name := string(item.Key()[len(prefix):])
			val, err := item.ValueCopy(nil)
			if err != nil {
				return err
			}
			b, err := unmarshalBucket(name, val)
			if err != nil {
				return err
			}
			out = append(out, b)
		}
		return nil
	})
	return out, err
}

// withBucket runs a write into bucket under its shared lock, so that it
// cannot interleave with DeleteBucket; fn checks the bucket exists in its
// own transaction.
func (c *Catalog) withBucket(user, bucket string, fn func() error) error {
	mu := c.bucketLock(user, bucket)
	mu.RLock()
	defer mu.RUnlock()
	return fn()
}
