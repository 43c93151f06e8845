package s3test

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/d3s/d3s/s3"
)

// CompleteMultipartUpload implements s3.ObjectStore. The parts are checked
// under the lock, assembled and hashed outside it, and the result committed
// only if the upload still exists then, so a concurrent abort or complete
// wins cleanly.
func (m *MemStore) CompleteMultipartUpload(ctx context.Context, u s3.User, bucket, key, uploadID string, parts []s3.CompletedPart, opts s3.PutOptions) (s3.ObjectInfo, error) {
	var chosen []*memPart
	var meta s3.Metadata
	err := m.withUpload(ctx, u, bucket, key, uploadID, func(_ *memBucket, up *memUpload) error {
		var err error
		chosen, err = chooseParts(up, parts)
		meta = cloneMetadata(up.meta)
		return err
	})
	if err != nil {
		return s3.ObjectInfo{}, err
	}
	obj := assemble(key, chosen, meta)
	if err := ctx.Err(); err != nil {
		return s3.ObjectInfo{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	bk, _, err := m.upload(u, bucket, key, uploadID)
	if err != nil {
		return s3.ObjectInfo{}, err
	}
	if err := checkConditions(bk.objects[key], opts.IfMatch, opts.IfNoneMatch); err != nil {
		return s3.ObjectInfo{}, err
	}
	delete(bk.uploads, uploadID)
	obj.info.VersionID = randomID()
	obj.info.LastModified = nowUTC()
	bk.set(obj)
	return cloneInfo(obj.info), nil
}

// chooseParts validates the client's part list against the upload.
func chooseParts(up *memUpload, parts []s3.CompletedPart) ([]*memPart, error) {
	if len(parts) == 0 {
		return nil, fmt.Errorf("no parts: %w", s3.ErrMalformedXML)
	}
	out := make([]*memPart, 0, len(parts))
	for i, cp := range parts {
		if i > 0 && cp.Number <= parts[i-1].Number {
			return nil, s3.ErrInvalidPartOrder
		}
		p, ok := up.parts[cp.Number]
		if !ok || unquote(cp.ETag) != p.info.ETag {
			return nil, fmt.Errorf("part %d: %w", cp.Number, s3.ErrInvalidPart)
		}
		out = append(out, p)
	}
	for _, p := range out[:len(out)-1] {
		if p.info.Size < s3.MinPartSize {
			return nil, fmt.Errorf("part %d is %d bytes: %w", p.info.Number, p.info.Size, s3.ErrEntityTooSmall)
		}
	}
	return out, nil
}

// assemble concatenates parts into a new object version with the multipart
// ETag: the MD5 of the parts' binary MD5s, "-", the number of parts.
func assemble(key string, parts []*memPart, meta s3.Metadata) *memObject {
	var size int
	for _, p := range parts {
		size += len(p.data)
	}
	data := make([]byte, 0, size)
	md := md5.New()
	for _, p := range parts {
		data = append(data, p.data...)
		md.Write(p.md5[:])
	}
	return &memObject{data: data, info: s3.ObjectInfo{
		Key:        key,
		Size:       int64(size),
		ETag:       fmt.Sprintf("%s-%d", hex.EncodeToString(md.Sum(nil)), len(parts)),
		SHA256:     sha256.Sum256(data),
		Metadata:   meta,
		PartsCount: len(parts),
	}}
}
