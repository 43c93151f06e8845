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

// CopyObject implements s3.ObjectStore without touching the bytes: the
// new entry takes another reference on the source's swarm object.
func (n *Node) CopyObject(ctx context.Context, u s3.User, srcBucket, srcKey, dstBucket, dstKey string, opts s3.CopyOptions) (s3.ObjectInfo, error) {
	if err := n.cat.Refresh(ctx, u.AccessKeyID, srcBucket); err != nil {
		return s3.ObjectInfo{}, toS3(err)
	}
	check := convert.Conditions(opts.IfMatch, opts.IfNoneMatch)
	release, err := n.exclusive(ctx, u, dstBucket, dstKey, check)
	if err != nil {
		return s3.ObjectInfo{}, err
	}
	defer release()
	if err := n.precheck(ctx, u, dstBucket, dstKey, check); err != nil {
		return s3.ObjectInfo{}, err
	}
	src, err := n.refSource(ctx, u, srcBucket, srcKey, opts.Precondition)
	if err != nil {
		return s3.ObjectInfo{}, err
	}
	e := &catalog.Entry{
		Key:        dstKey,
		InfoHash:   src.InfoHash,
		Size:       src.Size,
		ETag:       src.ETag,
		SHA256:     src.SHA256,
		Metadata:   src.Metadata,
		Checksum:   src.Checksum,
		PartsCount: src.PartsCount,
	}
	if opts.Metadata != nil {
		e.Metadata = convert.ToCatalogMeta(*opts.Metadata)
	}
	return n.commit(ctx, u, dstBucket, e, check)
}

// refSource looks up a copy's source, checks the precondition and takes a
// reference on its bytes, looking up again if the version was replaced
// and released in between.
func (n *Node) refSource(ctx context.Context, u s3.User, bucket, key string, pre func(s3.ObjectInfo) error) (*catalog.Entry, error) {
	var err error
	for range openAttempts {
		var src *catalog.Entry
		if src, err = n.cat.Get(ctx, u.AccessKeyID, bucket, key); err != nil {
			return nil, toS3(err)
		}
		if pre != nil {
			if err := pre(convert.ObjectInfo(src)); err != nil {
				return nil, err
			}
		}
		if err = n.swarm.Ref(ctx, src.InfoHash); err == nil {
			return src, nil
		}
		if !errors.Is(err, swarm.ErrNotFound) {
			return nil, fmt.Errorf("copy %s/%s: %w", bucket, key, err)
		}
		if n.ledger.HoldsData(src) {
			err = notHere(n.PeerID(), bucket, key, src, err)
			continue
		}
		// Another node's version: fetching it takes the reference.
		if err = n.remote.Fetch(ctx, src); err != nil {
			return nil, remoteErr(n.PeerID(), bucket, key, src, err)
		}
		return src, nil
	}
	return nil, err
}

// ListObjects implements s3.ObjectStore: s3.Paginate over a range scan of
// the bucket's sorted index in the catalog.
func (n *Node) ListObjects(ctx context.Context, u s3.User, bucket string, opts s3.ListOptions) (s3.ListResult, error) {
	if err := n.cat.Refresh(ctx, u.AccessKeyID, bucket); err != nil {
		return s3.ListResult{}, toS3(err)
	}
	it, err := n.cat.Objects(ctx, u.AccessKeyID, bucket, opts.Prefix)
	if err != nil {
		return s3.ListResult{}, toS3(err)
	}
	defer it.Close()
	res := s3.Paginate(opts, objectCursor{it})
	if err := it.Err(); err != nil {
		return s3.ListResult{}, fmt.Errorf("list %s: %w", bucket, err)
	}
	return res, nil
}

// objectCursor adapts a catalog iterator to s3.ObjectCursor.
type objectCursor struct{ it *catalog.Iterator }

func (c objectCursor) Seek(from string) { c.it.Seek(from) }

func (c objectCursor) Next() (s3.ObjectInfo, bool) {
	if !c.it.Next() {
		return s3.ObjectInfo{}, false
	}
	return convert.ObjectInfo(c.it.Entry()), true
}
