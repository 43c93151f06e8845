package catalog

import (
	"context"
	"fmt"
	"time"

	"github.com/d3s/d3s/catalog/internal/entry"
	"github.com/d3s/d3s/catalog/internal/store"
)

// Multipart uploads and their parts are entries of the bucket (doc.go,
// "Multipart uploads"): published, merged and expired like objects, so
// every node can continue, list, complete or abort any upload.

// Upload is a multipart upload in progress (store.Upload).
type Upload = store.Upload

// Part is one uploaded part of a multipart upload (store.Part).
type Part = store.Part

// UploadIterator walks a bucket's multipart uploads in (key, initiation,
// upload ID) order over one snapshot; it is used like Iterator
// (store.UploadIterator).
type UploadIterator = store.UploadIterator

// objectKey reports whether key may name an object: the keys of
// multipart entries are reserved (entry.Reserved).
func objectKey(key string) error {
	if entry.KindOf(key) != entry.KindObject {
		return fmt.Errorf("key %q: %w", key, ErrNotFound)
	}
	return nil
}

// CreateUpload starts a multipart upload of u.Key with u's metadata and
// checksum algorithm. ErrNoSuchBucket.
func (c *Catalog) CreateUpload(ctx context.Context, user, bucket string, u Upload) (Upload, error) {
	return c.store.CreateUpload(ctx, user, bucket, u)
}

// GetUpload returns an upload in progress. ErrNoSuchUpload.
func (c *Catalog) GetUpload(ctx context.Context, user, bucket, key, id string) (Upload, error) {
	return c.store.GetUpload(ctx, user, bucket, key, id)
}

// Uploads returns an iterator over bucket's uploads whose keys start with
// prefix. The caller must Close it. ErrNoSuchBucket.
func (c *Catalog) Uploads(ctx context.Context, user, bucket, prefix string) (*UploadIterator, error) {
	return c.store.Uploads(ctx, user, bucket, prefix)
}

// PutPart records part p of an upload and returns the part it replaced
// (nil if none), whose bytes the caller may now release. p.Time and
// p.Writer are stamped when zero. ErrNoSuchUpload.
func (c *Catalog) PutPart(ctx context.Context, user, bucket, key, id string, p *Part) (*Part, error) {
	return c.store.PutPart(ctx, user, bucket, key, id, p)
}

// Parts returns up to max parts (all when max <= 0) of an upload with
// numbers above after, and whether more follow. ErrNoSuchUpload.
func (c *Catalog) Parts(ctx context.Context, user, bucket, key, id string, after, max int) (Upload, []Part, bool, error) {
	return c.store.Parts(ctx, user, bucket, key, id, after, max)
}

// CompleteUpload ends an upload by making e the current entry of its key,
// atomically with delete markers for the upload and all its parts. It
// returns the entry it replaced and the removed parts, whose references
// the caller may now release. ErrNoSuchUpload, ErrNoSuchBucket, or
// check's error.
func (c *Catalog) CompleteUpload(ctx context.Context, user, bucket, id string, e *Entry, check Check) (*Entry, []Part, error) {
	if err := objectKey(e.Key); err != nil {
		return nil, nil, err
	}
	return c.store.CompleteUpload(ctx, user, bucket, id, e, check)
}

// AbortUpload ends an upload with delete markers for it and its parts and
// returns the parts, whose references the caller may now release.
// ErrNoSuchUpload.
func (c *Catalog) AbortUpload(ctx context.Context, user, bucket, key, id string) ([]Part, error) {
	return c.store.AbortUpload(ctx, user, bucket, key, id)
}

// Refs returns an iterator over the bucket's entries that reference swarm
// data: its objects, then the parts of its multipart uploads (whose keys
// are reserved, entry.PartKey). Repair and collection walk it; listings
// use Objects. The caller must Close it. ErrNoSuchBucket.
func (c *Catalog) Refs(ctx context.Context, user, bucket string) (*Iterator, error) {
	return c.store.Refs(ctx, user, bucket)
}

// Current returns the current entry of an object or part key (a key
// Refs yielded): repair checks with it that a version it holds is still
// the one its key names. ErrNoSuchBucket, ErrNotFound (also for an upload
// key and a delete marker).
func (c *Catalog) Current(ctx context.Context, user, bucket, key string) (*Entry, error) {
	if entry.KindOf(key) == entry.KindUpload {
		return nil, fmt.Errorf("key %q: %w", key, ErrNotFound)
	}
	return c.store.Get(ctx, user, bucket, key)
}

// awaitPoll bounds one wait of AwaitPublished between looks at the
// outbox, should a confirmation not wake it.
const awaitPoll = 100 * time.Millisecond

// AwaitPublished blocks until every write of this node to user's bucket
// made before the call is contained in a published head (so any node
// that revalidates the bucket sees it), or ctx ends. It returns at once
// on a local-only catalogue.
func (c *Catalog) AwaitPublished(ctx context.Context, user, bucket string) error {
	s := c.sync.Load()
	if s == nil {
		return ctx.Err()
	}
	k := bkey{User: user, Bucket: bucket}
	before := c.Clock().Now()
	s.mu.Lock()
	built := s.state(k).built
	s.mu.Unlock()
	for {
		ch := s.changedCh()
		var pending bool
		var err error
		if s.strong() {
			// A newer write to the same key replaces an outbox entry, so
			// "none dated before" proves nothing: a record built after
			// the call holds this write (or its replacement).
			pending, err = s.notSwappedSince(k, built)
		} else {
			pending, err = c.pendingBefore(k, before)
		}
		if err != nil || !pending {
			return err
		}
		s.kick(k)
		t := time.NewTimer(awaitPoll)
		select {
		case <-ch:
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("publish %s/%s: %w", user, bucket, ctx.Err())
		}
		t.Stop()
	}
}

// pendingBefore reports whether k's outbox holds an entry dated before t.
func (c *Catalog) pendingBefore(k bkey, t Time) (bool, error) {
	var entries []*Entry
	var err error
	if k.Bucket == "" {
		entries, err = c.store.Outbox().Buckets(k)
	} else {
		entries, err = c.store.Outbox().Entries(k)
	}
	for _, e := range entries {
		if e.Time.Compare(t) < 0 {
			return true, err
		}
	}
	return false, err
}
