package node

import (
	"context"
	"errors"
	"fmt"
	"github.com/d3s/d3s/node/convert"

	"github.com/d3s/d3s/catalog"
	"github.com/d3s/d3s/s3"
	"github.com/d3s/d3s/swarm"
)

// ListParts implements s3.ObjectStore, over the bucket revalidated so
// that parts stored through other nodes are listed.
func (n *Node) ListParts(ctx context.Context, u s3.User, bucket, key, uploadID string, opts s3.ListPartsOptions) (s3.ListPartsResult, error) {
	if err := n.revalidate(ctx, u, bucket); err != nil {
		return s3.ListPartsResult{}, err
	}
	_, parts, truncated, err := n.cat.Parts(ctx, u.AccessKeyID, bucket, key, uploadID, opts.PartNumberMarker, opts.MaxParts)
	if err != nil {
		return s3.ListPartsResult{}, toS3(err)
	}
	res := s3.ListPartsResult{Parts: make([]s3.PartInfo, len(parts)), IsTruncated: truncated}
	for i := range parts {
		res.Parts[i] = convert.PartInfo(&parts[i])
	}
	if truncated {
		res.NextPartNumberMarker = parts[len(parts)-1].Number
	}
	return res, nil
}

// ListMultipartUploads implements s3.ObjectStore: s3.PaginateUploads over
// a range scan of the bucket's uploads in the catalog, revalidated first.
func (n *Node) ListMultipartUploads(ctx context.Context, u s3.User, bucket string, opts s3.ListUploadsOptions) (s3.ListUploadsResult, error) {
	if err := n.revalidate(ctx, u, bucket); err != nil {
		return s3.ListUploadsResult{}, err
	}
	it, err := n.cat.Uploads(ctx, u.AccessKeyID, bucket, opts.Prefix)
	if err != nil {
		return s3.ListUploadsResult{}, toS3(err)
	}
	defer it.Close()
	res := s3.PaginateUploads(opts, uploadCursor{it})
	if err := it.Err(); err != nil {
		return s3.ListUploadsResult{}, fmt.Errorf("list uploads %s: %w", bucket, err)
	}
	return res, nil
}

// uploadCursor adapts a catalog upload iterator to s3.UploadCursor.
type uploadCursor struct{ it *catalog.UploadIterator }

func (c uploadCursor) Seek(from string) { c.it.Seek(from, "") }

func (c uploadCursor) Next() (s3.UploadInfo, bool) {
	if !c.it.Next() {
		return s3.UploadInfo{}, false
	}
	up := c.it.Upload()
	return s3.UploadInfo{Key: up.Key, UploadID: up.ID, Initiated: up.Initiated.Std()}, true
}

// UploadPartIDs returns the swarm IDs of an upload's parts as this node's
// catalogue has them (tests follow the parts' bytes with it and Stored).
// ErrNoSuchUpload.
func (n *Node) UploadPartIDs(ctx context.Context, accessKeyID, bucket, key, uploadID string) ([][20]byte, error) {
	_, parts, _, err := n.cat.Parts(ctx, accessKeyID, bucket, key, uploadID, 0, 0)
	ids := make([][20]byte, len(parts))
	for i, p := range parts {
		ids[i] = p.InfoHash
	}
	return ids, err
}

// Stored reports whether this node keeps bytes of object id, referenced
// or cached.
func (n *Node) Stored(ctx context.Context, id [20]byte) (bool, error) {
	_, err := n.swarm.Stat(ctx, id)
	if errors.Is(err, swarm.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}
