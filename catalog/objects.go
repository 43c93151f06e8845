package catalog

import (
	"context"

	"github.com/d3s/d3s/catalog/internal/store"
)

// Check inspects a key's current entry (nil when there is none) inside the
// write transaction; a non-nil error aborts the write and is returned
// unchanged, so conditional writes are atomic (store.Check).
type Check = store.Check

// Iterator walks a bucket's current entries in key byte order over one
// consistent snapshot, skipping delete markers (store.Iterator). Use it
// as:
//
//	it, err := c.Objects(ctx, user, bucket, prefix)
//	defer it.Close()
//	for it.Seek(after); it.Next(); {
//		e := it.Entry()
//	}
//	err = it.Err()
//
// Seek may be called again at any point to jump forward (or back).
type Iterator = store.Iterator

// Put makes e the current entry of e.Key in bucket and returns the entry
// it replaced (nil if none), whose bytes the caller may now release. Put
// stamps e.Time, e.Writer and e.VersionID when they are zero. The write is
// durable, and queued for publication, when Put returns. ErrNoSuchBucket,
// or check's error.
func (c *Catalog) Put(ctx context.Context, user, bucket string, e *Entry, check Check) (*Entry, error) {
	if err := objectKey(e.Key); err != nil {
		return nil, err
	}
	return c.store.Put(ctx, user, bucket, e, check)
}

// Get returns key's current entry. ErrNoSuchBucket, ErrNotFound (also
// when the key's latest entry is a delete marker).
func (c *Catalog) Get(ctx context.Context, user, bucket, key string) (*Entry, error) {
	if err := objectKey(key); err != nil {
		return nil, err
	}
	return c.store.Get(ctx, user, bucket, key)
}

// Delete replaces key's current entry with a delete marker and returns
// the entry it replaced (nil if the key had none), so the caller can
// release its bytes. The marker is kept (and published) so that the
// deletion wins over older writes merged from other nodes; a key that
// already ends in a marker gets a newer one, for writes made elsewhere
// before this DELETE that have not merged here yet. ErrNoSuchBucket.
func (c *Catalog) Delete(ctx context.Context, user, bucket, key string) (*Entry, error) {
	if err := objectKey(key); err != nil {
		return nil, nil
	}
	return c.store.Delete(ctx, user, bucket, key)
}

// Objects returns an iterator over bucket's object entries whose keys
// start with prefix (never the reserved keys of multipart entries). The caller must Close it. ErrNoSuchBucket.
func (c *Catalog) Objects(ctx context.Context, user, bucket, prefix string) (*Iterator, error) {
	return c.store.Objects(ctx, user, bucket, prefix)
}
