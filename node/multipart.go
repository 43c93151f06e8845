package node

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/d3s/d3s/node/convert"
	"io"
	"time"

	"github.com/d3s/d3s/catalog"
	"github.com/d3s/d3s/s3"
	"github.com/d3s/d3s/swarm"
)

// Multipart uploads are catalogue entries of the bucket (catalog/doc.go):
// any node can continue, list, complete or abort an upload any node
// started. A write (create, part, abort) answers once the bucket's head
// holding it is published, so the next request may go to any node; a
// node that does not find an upload, or must see all its parts, first
// revalidates the bucket against the network.

// mpuWait bounds how long a multipart request waits for the network: the
// bucket's revalidation, or the publication of its own write. Past it
// the request answers 503 SlowDown, which clients retry.
const mpuWait = 8 * time.Second

// CreateMultipartUpload implements s3.ObjectStore.
func (n *Node) CreateMultipartUpload(ctx context.Context, u s3.User, bucket, key string, opts s3.PutOptions) (string, error) {
	if err := n.cat.Refresh(ctx, u.AccessKeyID, bucket); err != nil {
		return "", toS3(err)
	}
	up, err := n.cat.CreateUpload(ctx, u.AccessKeyID, bucket, catalog.Upload{Key: key, Metadata: convert.ToCatalogMeta(opts.Metadata)})
	if err != nil {
		return "", toS3(err)
	}
	return up.ID, n.published(ctx, u, bucket)
}

// networked reports whether other members may read this node's
// catalogue: it runs the catalogue sync and is connected to one.
func (n *Node) networked() bool {
	return n.catSync && len(n.place.Live()) > 1
}

// published waits until this node's writes to bucket so far are in a
// published head (503 SlowDown after mpuWait).
func (n *Node) published(ctx context.Context, u s3.User, bucket string) error {
	if !n.networked() && !n.cat.Strong() {
		return nil
	}
	wctx, cancel := context.WithTimeout(ctx, mpuWait)
	defer cancel()
	if err := n.cat.AwaitPublished(wctx, u.AccessKeyID, bucket); err != nil && ctx.Err() == nil {
		return unavailable(err)
	}
	return ctx.Err()
}

// revalidate merges the bucket's current head from the network (503
// SlowDown when it cannot be fetched within mpuWait), so that uploads and
// parts written on other nodes are seen.
func (n *Node) revalidate(ctx context.Context, u s3.User, bucket string) error {
	if !n.networked() {
		return n.cat.Refresh(ctx, u.AccessKeyID, bucket)
	}
	wctx, cancel := context.WithTimeout(ctx, mpuWait)
	defer cancel()
	if err := n.cat.Revalidate(wctx, u.AccessKeyID, bucket); err != nil && ctx.Err() == nil {
		n.log.Warn("multipart: bucket not fetched", "user", u.AccessKeyID, "bucket", bucket, "err", err)
		return unavailable(err)
	}
	return ctx.Err()
}

// findUpload checks that an upload is in progress, revalidating the
// bucket when this node's view does not hold it (it may have been started
// elsewhere just now). Like a PUT it refreshes the bucket first, which
// also keeps it fresh here for a while, so the upload's end is soon seen.
func (n *Node) findUpload(ctx context.Context, u s3.User, bucket, key, id string) error {
	if err := n.cat.Refresh(ctx, u.AccessKeyID, bucket); err != nil {
		return err
	}
	_, err := n.cat.GetUpload(ctx, u.AccessKeyID, bucket, key, id)
	if !errors.Is(err, catalog.ErrNoSuchUpload) {
		return toS3(err)
	}
	if err := n.revalidate(ctx, u, bucket); err != nil {
		return err
	}
	_, err = n.cat.GetUpload(ctx, u.AccessKeyID, bucket, key, id)
	return toS3(err)
}

// UploadPart implements s3.ObjectStore: each part is a swarm object of its
// own, replicated like a PUT, so CompleteMultipartUpload can join parts
// without copying them, on any node.
func (n *Node) UploadPart(ctx context.Context, u s3.User, bucket, key, uploadID string, part int, body io.Reader, opts s3.PutOptions) (s3.PartInfo, error) {
	if err := n.findUpload(ctx, u, bucket, key, uploadID); err != nil {
		return s3.PartInfo{}, err
	}
	obj, err := n.swarm.Put(ctx, body, opts.Size, swarm.Expect{MD5: opts.ContentMD5, SHA256: opts.ContentSHA256})
	if err != nil {
		return s3.PartInfo{}, toS3(err)
	}
	p := &catalog.Part{Number: part, InfoHash: obj.ID, Size: obj.Size, ETag: hex.EncodeToString(obj.MD5[:])}
	if opts.Checksum != nil {
		p.Checksum = catalog.Checksum(opts.Checksum())
	}
	replaced, err := n.cat.PutPart(ctx, u.AccessKeyID, bucket, key, uploadID, p)
	if err != nil {
		n.ledger.Release(ctx, obj.ID)
		return s3.PartInfo{}, toS3(err)
	}
	if replaced != nil {
		n.collect.Retire(ctx, replaced.Entry(uploadID))
	}
	if err := n.repl.Replicate(ctx, obj.ID, obj.Size); err != nil {
		return s3.PartInfo{}, unavailable(err)
	}
	return convert.PartInfo(p), n.published(ctx, u, bucket)
}

// CompleteMultipartUpload implements s3.ObjectStore. The parts the client
// chose are made local (fetched from their holders when this node has
// none), the swarm joins them into one object without copying bytes, the
// catalog replaces the upload and its parts with the object's entry in
// one transaction, and the object is replicated like a PUT. The parts'
// references go (here, and on their holders through release notices and
// the collection sweep).
func (n *Node) CompleteMultipartUpload(ctx context.Context, u s3.User, bucket, key, uploadID string, parts []s3.CompletedPart, opts s3.PutOptions) (s3.ObjectInfo, error) {
	if err := n.revalidate(ctx, u, bucket); err != nil {
		return s3.ObjectInfo{}, err
	}
	up, stored, _, err := n.cat.Parts(ctx, u.AccessKeyID, bucket, key, uploadID, 0, 0)
	if err != nil {
		return s3.ObjectInfo{}, toS3(err)
	}
	chosen, err := convert.ChooseParts(stored, parts)
	if err != nil {
		return s3.ObjectInfo{}, err
	}
	check := convert.Conditions(opts.IfMatch, opts.IfNoneMatch)
	release, err := n.exclusive(ctx, u, bucket, key, check)
	if err != nil {
		return s3.ObjectInfo{}, err
	}
	defer release()
	if err := n.precheck(ctx, u, bucket, key, check); err != nil {
		return s3.ObjectInfo{}, err
	}
	e, err := n.joinParts(ctx, key, uploadID, chosen, up.Metadata)
	if err != nil {
		return s3.ObjectInfo{}, err
	}
	replaced, removed, err := n.cat.CompleteUpload(ctx, u.AccessKeyID, bucket, uploadID, e, check)
	if err != nil {
		n.ledger.Release(ctx, e.InfoHash)
		return s3.ObjectInfo{}, toS3(err)
	}
	n.retireParts(ctx, uploadID, removed)
	n.collect.Retire(ctx, replaced)
	if err := n.repl.Replicate(ctx, e.InfoHash, e.Size); err != nil {
		return s3.ObjectInfo{}, unavailable(err)
	}
	return convert.ObjectInfo(e), n.acked(ctx, u, bucket)
}

// retireParts lets go of the parts of an ended upload: this node's own
// references, and (by release notices) the holders' replicas.
func (n *Node) retireParts(ctx context.Context, uploadID string, parts []catalog.Part) {
	for i := range parts {
		n.collect.Retire(ctx, parts[i].Entry(uploadID))
	}
}

// joinParts holds a reference on each chosen part for the time of the
// join, fetching from its holders a part this node does not have, and
// joins them.
func (n *Node) joinParts(ctx context.Context, key, uploadID string, parts []*catalog.Part, meta catalog.Metadata) (*catalog.Entry, error) {
	held := make([]swarm.ID, 0, len(parts))
	defer func() {
		for _, id := range held {
			n.ledger.Release(ctx, id)
		}
	}()
	for _, p := range parts {
		err := n.swarm.Ref(ctx, p.InfoHash)
		if errors.Is(err, swarm.ErrNotFound) {
			err = n.remote.Fetch(ctx, p.Entry(uploadID))
		}
		if err != nil {
			return nil, partErr(key, p.Number, err)
		}
		held = append(held, p.InfoHash)
	}
	return join(ctx, n.swarm, key, parts, meta)
}

// partErr is the error for a part whose bytes could not be had: the
// caller's own cancellation as is, else 503 SlowDown (another try may
// reach a holder).
func partErr(key string, number int, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return fmt.Errorf("%w: part %d of %s is not here and no holder answered (%w)", s3.ErrSlowDown, number, key, err)
}

// join concatenates parts in sw and describes the result (the ETag is
// s3.MultipartETag's).
func join(ctx context.Context, sw *swarm.Swarm, key string, parts []*catalog.Part, meta catalog.Metadata) (*catalog.Entry, error) {
	ids := make([]swarm.ID, len(parts))
	etags := make([]string, len(parts))
	for i, p := range parts {
		ids[i], etags[i] = p.InfoHash, p.ETag
	}
	etag, err := s3.MultipartETag(etags)
	if err != nil {
		return nil, err
	}
	obj, err := sw.Concat(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("join %d parts of %s: %w", len(parts), key, err)
	}
	return &catalog.Entry{
		Key:        key,
		InfoHash:   obj.ID,
		Size:       obj.Size,
		ETag:       etag,
		SHA256:     obj.SHA256,
		Metadata:   meta,
		PartsCount: len(parts),
	}, nil
}

// AbortMultipartUpload implements s3.ObjectStore: delete markers end the
// upload and its parts everywhere; the parts' bytes go here and, through
// release notices and the collection sweep, on their holders.
func (n *Node) AbortMultipartUpload(ctx context.Context, u s3.User, bucket, key, uploadID string) error {
	if err := n.revalidate(ctx, u, bucket); err != nil {
		return err
	}
	parts, err := n.cat.AbortUpload(ctx, u.AccessKeyID, bucket, key, uploadID)
	if err != nil {
		return toS3(err)
	}
	n.retireParts(ctx, uploadID, parts)
	return n.published(ctx, u, bucket)
}
