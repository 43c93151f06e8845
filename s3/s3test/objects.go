package s3test

import (
	"bytes"
	"context"
	"encoding/hex"
	"io"
	"maps"
	"slices"

	"github.com/d3s/d3s/s3"
)

// PutObject implements s3.ObjectStore. The body is read and verified before
// the lock is taken, so a slow client blocks no one.
func (m *MemStore) PutObject(ctx context.Context, u s3.User, bucket, key string, r io.Reader, opts s3.PutOptions) (s3.ObjectInfo, error) {
	if _, err := m.HeadBucket(ctx, u, bucket); err != nil {
		return s3.ObjectInfo{}, err
	}
	b, err := readBody(r, opts)
	if err != nil {
		return s3.ObjectInfo{}, err
	}
	obj := &memObject{data: b.data, info: s3.ObjectInfo{
		Key:      key,
		Size:     int64(len(b.data)),
		ETag:     hex.EncodeToString(b.md5[:]),
		SHA256:   b.sha256,
		Metadata: cloneMetadata(opts.Metadata),
		Checksum: b.checksum,
	}}
	return m.commit(ctx, u, bucket, obj, opts.IfMatch, opts.IfNoneMatch)
}

// commit makes obj the current version of its key if the bucket still
// exists and the conditions hold, stamping its version ID and time.
func (m *MemStore) commit(ctx context.Context, u s3.User, bucket string, obj *memObject, ifMatch, ifNoneMatch string) (s3.ObjectInfo, error) {
	if err := ctx.Err(); err != nil {
		return s3.ObjectInfo{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	bk, err := m.bucket(u, bucket)
	if err != nil {
		return s3.ObjectInfo{}, err
	}
	if err := checkConditions(bk.objects[obj.info.Key], ifMatch, ifNoneMatch); err != nil {
		return s3.ObjectInfo{}, err
	}
	obj.info.VersionID = randomID()
	obj.info.LastModified = nowUTC()
	bk.set(obj)
	return cloneInfo(obj.info), nil
}

// checkConditions applies If-Match and If-None-Match to the current version
// cur (nil if the key does not exist).
func checkConditions(cur *memObject, ifMatch, ifNoneMatch string) error {
	if ifMatch != "" {
		if cur == nil {
			return s3.ErrNoSuchKey
		}
		if ifMatch != "*" && unquote(ifMatch) != cur.info.ETag {
			return s3.ErrPreconditionFailed
		}
	}
	if ifNoneMatch != "" && cur != nil {
		if ifNoneMatch == "*" || unquote(ifNoneMatch) == cur.info.ETag {
			return s3.ErrPreconditionFailed
		}
	}
	return nil
}

// GetObject implements s3.ObjectStore.
func (m *MemStore) GetObject(ctx context.Context, u s3.User, bucket, key string) (s3.ObjectInfo, io.ReadSeekCloser, error) {
	obj, err := m.lookup(ctx, u, bucket, key)
	if err != nil {
		return s3.ObjectInfo{}, nil, err
	}
	return cloneInfo(obj.info), nopCloser{bytes.NewReader(obj.data)}, nil
}

// HeadObject implements s3.ObjectStore.
func (m *MemStore) HeadObject(ctx context.Context, u s3.User, bucket, key string) (s3.ObjectInfo, error) {
	obj, err := m.lookup(ctx, u, bucket, key)
	if err != nil {
		return s3.ObjectInfo{}, err
	}
	return cloneInfo(obj.info), nil
}

// lookup returns key's current version.
func (m *MemStore) lookup(ctx context.Context, u s3.User, bucket, key string) (*memObject, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	bk, err := m.bucket(u, bucket)
	if err != nil {
		return nil, err
	}
	obj, ok := bk.objects[key]
	if !ok {
		return nil, s3.ErrNoSuchKey
	}
	return obj, nil
}

// DeleteObject implements s3.ObjectStore.
func (m *MemStore) DeleteObject(ctx context.Context, u s3.User, bucket, key string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	bk, err := m.bucket(u, bucket)
	if err != nil {
		return err
	}
	bk.remove(key)
	return nil
}

// CopyObject implements s3.ObjectStore. The new version shares the source's
// immutable bytes, ETag, SHA-256, checksum and part count.
func (m *MemStore) CopyObject(ctx context.Context, u s3.User, srcBucket, srcKey, dstBucket, dstKey string, opts s3.CopyOptions) (s3.ObjectInfo, error) {
	if _, err := m.HeadBucket(ctx, u, dstBucket); err != nil {
		return s3.ObjectInfo{}, err
	}
	src, err := m.lookup(ctx, u, srcBucket, srcKey)
	if err != nil {
		return s3.ObjectInfo{}, err
	}
	if opts.Precondition != nil {
		if err := opts.Precondition(cloneInfo(src.info)); err != nil {
			return s3.ObjectInfo{}, err
		}
	}
	info := cloneInfo(src.info)
	info.Key = dstKey
	if opts.Metadata != nil {
		info.Metadata = cloneMetadata(*opts.Metadata)
	}
	return m.commit(ctx, u, dstBucket, &memObject{info: info, data: src.data}, opts.IfMatch, opts.IfNoneMatch)
}

// ListObjects implements s3.ObjectStore with s3.Paginate over the bucket's
// sorted keys.
func (m *MemStore) ListObjects(ctx context.Context, u s3.User, bucket string, opts s3.ListOptions) (s3.ListResult, error) {
	if err := ctx.Err(); err != nil {
		return s3.ListResult{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	bk, err := m.bucket(u, bucket)
	if err != nil {
		return s3.ListResult{}, err
	}
	return s3.Paginate(opts, &objectCursor{b: bk}), nil
}

// objectCursor is an s3.ObjectCursor over a bucket's sorted keys; m.mu must
// be held while it is used.
type objectCursor struct {
	b *memBucket
	i int
}

func (c *objectCursor) Seek(from string) {
	c.i, _ = slices.BinarySearch(c.b.keys, from)
}

func (c *objectCursor) Next() (s3.ObjectInfo, bool) {
	if c.i >= len(c.b.keys) {
		return s3.ObjectInfo{}, false
	}
	obj := c.b.objects[c.b.keys[c.i]]
	c.i++
	return cloneInfo(obj.info), true
}

// cloneInfo deep-copies info's metadata so callers cannot alias stored state.
func cloneInfo(info s3.ObjectInfo) s3.ObjectInfo {
	info.Metadata = cloneMetadata(info.Metadata)
	return info
}

// cloneMetadata deep-copies md so callers cannot alias stored state.
func cloneMetadata(md s3.Metadata) s3.Metadata {
	md.User = maps.Clone(md.User)
	return md
}

// unquote strips the double quotes an ETag may carry.
func unquote(etag string) string {
	if len(etag) >= 2 && etag[0] == '"' && etag[len(etag)-1] == '"' {
		return etag[1 : len(etag)-1]
	}
	return etag
}

// nopCloser gives a bytes.Reader the Close of an io.ReadSeekCloser.
type nopCloser struct{ *bytes.Reader }

func (nopCloser) Close() error { return nil }
