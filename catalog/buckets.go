package catalog

import (
	"context"

	"github.com/d3s/d3s/catalog/internal/store"
)

// Bucket describes one of a user's buckets (store.Bucket).
type Bucket = store.Bucket

// CreateBucket records a new bucket for user. ErrBucketExists.
func (c *Catalog) CreateBucket(ctx context.Context, user, bucket string) error {
	return c.store.CreateBucket(ctx, user, bucket)
}

// HeadBucket returns the bucket. ErrNoSuchBucket.
func (c *Catalog) HeadBucket(ctx context.Context, user, bucket string) (Bucket, error) {
	return c.store.HeadBucket(ctx, user, bucket)
}

// DeleteBucket removes an empty bucket. ErrNoSuchBucket, ErrBucketNotEmpty
// if it holds objects or multipart uploads. A synced catalogue first
// revalidates the bucket, so objects written on other nodes count.
func (c *Catalog) DeleteBucket(ctx context.Context, user, bucket string) error {
	if err := c.Refresh(ctx, user, bucket); err != nil {
		return err
	}
	return c.store.DeleteBucket(ctx, user, bucket)
}

// ListBuckets returns user's buckets sorted by name.
func (c *Catalog) ListBuckets(ctx context.Context, user string) ([]Bucket, error) {
	return c.store.ListBuckets(ctx, user)
}
