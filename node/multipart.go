package node

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"

	"github.com/d3s/d3s/catalog"
	"github.com/d3s/d3s/s3"
	"github.com/d3s/d3s/swarm"
)

// CreateMultipartUpload implements s3.ObjectStore.
func (n *Node) CreateMultipartUpload(ctx context.Context, u s3.User, bucket, key string, opts s3.PutOptions) (string, error) {
	if err := n.cat.Refresh(ctx, u.AccessKeyID, bucket); err != nil {
		return "", toS3(err)
	}
	up, err := n.cat.CreateUpload(ctx, u.AccessKeyID, bucket, key, toCatalogMeta(opts.Metadata))
	if err != nil {
		return "", toS3(err)
	}
	return up.ID, nil
}

// UploadPart implements s3.ObjectStore: each part is a swarm object of its
// own, so CompleteMultipartUpload can join parts without copying them.
func (n *Node) UploadPart(ctx context.Context, u s3.User, bucket, key, uploadID string, part int, body io.Reader, opts s3.PutOptions) (s3.PartInfo, error) {
	if _, err := n.cat.GetUpload(ctx, u.AccessKeyID, bucket, key, uploadID); err != nil {
		return s3.PartInfo{}, toS3(err)
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
		n.ledger.Release(ctx, replaced.InfoHash)
	}
	return partInfo(p), nil
}

// CompleteMultipartUpload implements s3.ObjectStore. The swarm joins the
// chosen parts into one object without copying bytes; the catalog then
// replaces the upload with the object's entry in one transaction, after
// which the parts' own references are released (the joined object holds
// its parts).
func (n *Node) CompleteMultipartUpload(ctx context.Context, u s3.User, bucket, key, uploadID string, parts []s3.CompletedPart, opts s3.PutOptions) (s3.ObjectInfo, error) {
	up, stored, _, err := n.cat.Parts(ctx, u.AccessKeyID, bucket, key, uploadID, 0, 0)
	if err != nil {
		return s3.ObjectInfo{}, toS3(err)
	}
	chosen, err := chooseParts(stored, parts)
	if err != nil {
		return s3.ObjectInfo{}, err
	}
	check := conditions(opts.IfMatch, opts.IfNoneMatch)
	if err := n.precheck(ctx, u, bucket, key, check); err != nil {
		return s3.ObjectInfo{}, err
	}
	e, err := join(ctx, n.swarm, key, chosen, up.Metadata)
	if err != nil {
		return s3.ObjectInfo{}, err
	}
	replaced, removed, err := n.cat.CompleteUpload(ctx, u.AccessKeyID, bucket, uploadID, e, check)
	if err != nil {
		n.ledger.Release(ctx, e.InfoHash)
		return s3.ObjectInfo{}, toS3(err)
	}
	for _, p := range removed {
		n.ledger.Release(ctx, p.InfoHash)
	}
	n.collect.Retire(ctx, replaced)
	if err := n.repl.Replicate(ctx, e.InfoHash, e.Size); err != nil {
		return s3.ObjectInfo{}, unavailable(err)
	}
	return objectInfo(e), nil
}

// join concatenates parts in sw and describes the result; the ETag
// is the MD5 of the parts' binary MD5s, "-", and the number of parts.
func join(ctx context.Context, sw *swarm.Swarm, key string, parts []*catalog.Part, meta catalog.Metadata) (*catalog.Entry, error) {
	ids := make([]swarm.ID, len(parts))
	md := newMultipartETag()
	for i, p := range parts {
		ids[i] = p.InfoHash
		if err := md.add(p.ETag); err != nil {
			return nil, err
		}
	}
	obj, err := sw.Concat(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("join %d parts of %s: %w", len(parts), key, err)
	}
	return &catalog.Entry{
		Key:        key,
		InfoHash:   obj.ID,
		Size:       obj.Size,
		ETag:       md.sum(len(parts)),
		SHA256:     obj.SHA256,
		Metadata:   meta,
		PartsCount: len(parts),
	}, nil
}

// chooseParts validates the client's part list against the stored parts
// (sorted by number): ErrInvalidPartOrder, ErrInvalidPart,
// ErrEntityTooSmall.
func chooseParts(stored []catalog.Part, parts []s3.CompletedPart) ([]*catalog.Part, error) {
	if len(parts) == 0 {
		return nil, fmt.Errorf("no parts: %w", s3.ErrMalformedXML)
	}
	byNumber := make(map[int]*catalog.Part, len(stored))
	for i := range stored {
		byNumber[stored[i].Number] = &stored[i]
	}
	out := make([]*catalog.Part, len(parts))
	for i, cp := range parts {
		if i > 0 && cp.Number <= parts[i-1].Number {
			return nil, s3.ErrInvalidPartOrder
		}
		p, ok := byNumber[cp.Number]
		if !ok || unquote(cp.ETag) != p.ETag {
			return nil, fmt.Errorf("part %d: %w", cp.Number, s3.ErrInvalidPart)
		}
		out[i] = p
	}
	for _, p := range out[:len(out)-1] {
		if p.Size < s3.MinPartSize {
			return nil, fmt.Errorf("part %d is %d bytes: %w", p.Number, p.Size, s3.ErrEntityTooSmall)
		}
	}
	return out, nil
}

// AbortMultipartUpload implements s3.ObjectStore.
func (n *Node) AbortMultipartUpload(ctx context.Context, u s3.User, bucket, key, uploadID string) error {
	parts, err := n.cat.AbortUpload(ctx, u.AccessKeyID, bucket, key, uploadID)
	if err != nil {
		return toS3(err)
	}
	for _, p := range parts {
		n.ledger.Release(ctx, p.InfoHash)
	}
	return nil
}
