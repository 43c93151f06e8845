package catalog

import (
	"context"

	"github.com/d3s/d3s/catalog/internal/store"
)

// Upload is a multipart upload in progress (store.Upload).
type Upload = store.Upload

// Part is one uploaded part of a multipart upload (store.Part).
type Part = store.Part

// UploadIterator walks a bucket's multipart uploads in (key, initiation,
// upload ID) order over one snapshot; it is used like Iterator
// (store.UploadIterator).
type UploadIterator = store.UploadIterator

// CreateUpload starts a multipart upload of key. ErrNoSuchBucket.
func (c *Catalog) CreateUpload(ctx context.Context, user, bucket, key string, meta Metadata) (Upload, error) {
	return c.store.CreateUpload(ctx, user, bucket, key, meta)
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
// (nil if none), whose bytes the caller may now release. p.Time is
// stamped when zero. ErrNoSuchUpload.
func (c *Catalog) PutPart(ctx context.Context, user, bucket, key, id string, p *Part) (*Part, error) {
	return c.store.PutPart(ctx, user, bucket, key, id, p)
}

// Parts returns up to max parts (all when max <= 0) of an upload with
// numbers above after, and whether more follow. ErrNoSuchUpload.
func (c *Catalog) Parts(ctx context.Context, user, bucket, key, id string, after, max int) (Upload, []Part, bool, error) {
	return c.store.Parts(ctx, user, bucket, key, id, after, max)
}

// CompleteUpload ends an upload by making e the current entry of its key,
// atomically with removing the upload and all its parts. It returns the
// entry it replaced and the removed parts, whose references the caller
// may now release. ErrNoSuchUpload, ErrNoSuchBucket, or check's error.
func (c *Catalog) CompleteUpload(ctx context.Context, user, bucket, id string, e *Entry, check Check) (*Entry, []Part, error) {
	return c.store.CompleteUpload(ctx, user, bucket, id, e, check)
}

// AbortUpload removes an upload and returns its parts, whose references
// the caller may now release. ErrNoSuchUpload.
func (c *Catalog) AbortUpload(ctx context.Context, user, bucket, key, id string) ([]Part, error) {
	return c.store.AbortUpload(ctx, user, bucket, key, id)
}
