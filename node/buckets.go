package node

import (
	"context"

	"github.com/d3s/d3s/catalog"
	"github.com/d3s/d3s/s3"
)

// ListBuckets implements s3.ObjectStore. Like CreateBucket and
// HeadBucket it first revalidates the user's bucket list against the
// network when the cached one is stale (catalog.Refresh: bounded wait,
// cheap when fresh).
func (n *Node) ListBuckets(ctx context.Context, u s3.User) ([]s3.BucketInfo, error) {
	if err := n.cat.Refresh(ctx, u.AccessKeyID, ""); err != nil {
		return nil, toS3(err)
	}
	list, err := n.cat.ListBuckets(ctx, u.AccessKeyID)
	if err != nil {
		return nil, toS3(err)
	}
	out := make([]s3.BucketInfo, len(list))
	for i, b := range list {
		out[i] = bucketInfo(b)
	}
	return out, nil
}

// CreateBucket implements s3.ObjectStore.
func (n *Node) CreateBucket(ctx context.Context, u s3.User, bucket string) error {
	if err := n.cat.Refresh(ctx, u.AccessKeyID, ""); err != nil {
		return toS3(err)
	}
	if err := n.cat.CreateBucket(ctx, u.AccessKeyID, bucket); err != nil {
		return toS3(err)
	}
	return n.acked(ctx, u, "")
}

// HeadBucket implements s3.ObjectStore.
func (n *Node) HeadBucket(ctx context.Context, u s3.User, bucket string) (s3.BucketInfo, error) {
	if err := n.cat.Refresh(ctx, u.AccessKeyID, ""); err != nil {
		return s3.BucketInfo{}, toS3(err)
	}
	b, err := n.cat.HeadBucket(ctx, u.AccessKeyID, bucket)
	if err != nil {
		return s3.BucketInfo{}, toS3(err)
	}
	return bucketInfo(b), nil
}

// DeleteBucket implements s3.ObjectStore.
func (n *Node) DeleteBucket(ctx context.Context, u s3.User, bucket string) error {
	if err := n.cat.Refresh(ctx, u.AccessKeyID, bucket); err != nil {
		return toS3(err)
	}
	if err := n.cat.DeleteBucket(ctx, u.AccessKeyID, bucket); err != nil {
		return toS3(err)
	}
	return n.acked(ctx, u, "")
}

func bucketInfo(b catalog.Bucket) s3.BucketInfo {
	return s3.BucketInfo{Name: b.Name, Created: b.Created.Std()}
}
