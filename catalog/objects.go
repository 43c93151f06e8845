package catalog

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"fmt"

	"github.com/dgraph-io/badger/v4"
)

// Check inspects a key's current entry (nil when there is none) inside the
// write transaction; a non-nil error aborts the write and is returned
// unchanged, so conditional writes are atomic.
type Check func(current *Entry) error

// Put makes e the current entry of e.Key in bucket and returns the entry
// it replaced (nil if none), whose bytes the caller may now release. Put
// stamps e.Time, e.Writer and e.VersionID when they are zero. The write is
// durable when Put returns. ErrNoSuchBucket, or check's error.
func (c *Catalog) Put(ctx context.Context, user, bucket string, e *Entry, check Check) (*Entry, error) {
	c.stamp(e)
	val, err := e.MarshalBinary()
	if err != nil {
		return nil, err
	}
	key := objectKey(user, bucket, e.Key)
	var replaced *Entry
	err = c.withBucket(user, bucket, func() error {
		return c.update(ctx, func(txn *badger.Txn) error {
			var err error
			replaced, err = c.putTxn(txn, user, bucket, key, val, check)
			return err
		})
	})
	return replaced, err
}

func (c *Catalog) putTxn(txn *badger.Txn, user, bucket string, key, val []byte, check Check) (*Entry, error) {
	if _, err := getBucket(txn, user, bucket); err != nil {
		return nil, err
	}
	cur, err := getEntry(txn, key)
	if err != nil {
		return nil, err
	}
	if check != nil {
		if err := check(cur); err != nil {
			return nil, err
		}
	}
	return cur, txn.Set(key, val)
}

// stamp fills in the writer's clock reading, ID and a version ID.
func (c *Catalog) stamp(e *Entry) {
	if e.Time.IsZero() {
		e.Time = c.clock.Now()
	} else {
		c.clock.Observe(e.Time)
	}
	if e.Writer == "" {
		e.Writer = c.nodeID
	}
	if e.VersionID == "" {
		e.VersionID = versionID(e.Time)
	}
}

// versionID derives a version ID from a clock reading: hex of the wall
// time and counter, so version IDs sort like the versions they name.
func versionID(t Time) string {
	var b [12]byte
	binary.BigEndian.PutUint64(b[:8], uint64(t.Wall))
	binary.BigEndian.PutUint32(b[8:], t.Logical)
	return hex.EncodeToString(b[:])
}

// getEntry returns the entry stored at key, or nil.
func getEntry(txn *badger.Txn, key []byte) (*Entry, error) {
	val, found, err := getValue(txn, key)
	if err != nil || !found {
		return nil, err
	}
	e := new(Entry)
	if err := e.UnmarshalBinary(val); err != nil {
		return nil, fmt.Errorf("entry %q: %w", key, err)
	}
	return e, nil
}

// Get returns key's current entry. ErrNoSuchBucket, ErrNotFound.
func (c *Catalog) Get(ctx context.Context, user, bucket, key string) (*Entry, error) {
	var e *Entry
	err := c.view(ctx, func(txn *badger.Txn) error {
		if _, err := getBucket(txn, user, bucket); err != nil {
			return err
		}
		var err error
		e, err = getEntry(txn, objectKey(user, bucket, key))
		if err == nil && e == nil {
			err = fmt.Errorf("get %q: %w", key, ErrNotFound)
		}
		return err
	})
	return e, err
}

// Delete removes key's current entry and returns it (nil if the key had
// none), so the caller can release its bytes. ErrNoSuchBucket.
func (c *Catalog) Delete(ctx context.Context, user, bucket, key string) (*Entry, error) {
	okey := objectKey(user, bucket, key)
	var removed *Entry
	err := c.update(ctx, func(txn *badger.Txn) error {
		if _, err := getBucket(txn, user, bucket); err != nil {
			return err
		}
		var err error
		removed, err = getEntry(txn, okey)
		if err != nil || removed == nil {
			return err
		}
		return txn.Delete(okey)
	})
	return removed, err
}
