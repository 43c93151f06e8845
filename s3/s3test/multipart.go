package s3test

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/d3s/d3s/s3"
)

// memUpload is a multipart upload in progress.
type memUpload struct {
	info  s3.UploadInfo
	meta  s3.Metadata
	parts map[int]*memPart
}

// memPart is one uploaded part.
type memPart struct {
	info s3.PartInfo
	md5  [md5.Size]byte
	data []byte
}

// CreateMultipartUpload implements s3.ObjectStore.
func (m *MemStore) CreateMultipartUpload(ctx context.Context, u s3.User, bucket, key string, opts s3.PutOptions) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	bk, err := m.bucket(u, bucket)
	if err != nil {
		return "", err
	}
	id := randomID()
	bk.uploads[id] = &memUpload{
		info:  s3.UploadInfo{Key: key, UploadID: id, Initiated: nowUTC()},
		meta:  cloneMetadata(opts.Metadata),
		parts: make(map[int]*memPart),
	}
	return id, nil
}

// upload finds an upload of key in u's bucket; m.mu must be held.
// ErrNoSuchBucket, or ErrNoSuchUpload if the ID is unknown or names an
// upload of another key.
func (m *MemStore) upload(u s3.User, bucket, key, id string) (*memBucket, *memUpload, error) {
	bk, err := m.bucket(u, bucket)
	if err != nil {
		return nil, nil, err
	}
	up, ok := bk.uploads[id]
	if !ok || up.info.Key != key {
		return nil, nil, s3.ErrNoSuchUpload
	}
	return bk, up, nil
}

// UploadPart implements s3.ObjectStore.
func (m *MemStore) UploadPart(ctx context.Context, u s3.User, bucket, key, uploadID string, part int, r io.Reader, opts s3.PutOptions) (s3.PartInfo, error) {
	if part < 1 || part > s3.MaxPartNumber {
		return s3.PartInfo{}, fmt.Errorf("part number %d: %w", part, s3.ErrInvalidArgument)
	}
	if err := m.withUpload(ctx, u, bucket, key, uploadID, func(*memBucket, *memUpload) error { return nil }); err != nil {
		return s3.PartInfo{}, err
	}
	b, err := readBody(r, opts)
	if err != nil {
		return s3.PartInfo{}, err
	}
	p := &memPart{md5: b.md5, data: b.data, info: s3.PartInfo{
		Number:       part,
		ETag:         hex.EncodeToString(b.md5[:]),
		Size:         int64(len(b.data)),
		LastModified: nowUTC(),
		Checksum:     b.checksum,
	}}
	err = m.withUpload(ctx, u, bucket, key, uploadID, func(_ *memBucket, up *memUpload) error {
		up.parts[part] = p
		return nil
	})
	return p.info, err
}

// withUpload runs f on the upload under the lock.
func (m *MemStore) withUpload(ctx context.Context, u s3.User, bucket, key, id string, f func(*memBucket, *memUpload) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	bk, up, err := m.upload(u, bucket, key, id)
	if err != nil {
		return err
	}
	return f(bk, up)
}

// AbortMultipartUpload implements s3.ObjectStore.
func (m *MemStore) AbortMultipartUpload(ctx context.Context, u s3.User, bucket, key, uploadID string) error {
	return m.withUpload(ctx, u, bucket, key, uploadID, func(bk *memBucket, _ *memUpload) error {
		delete(bk.uploads, uploadID)
		return nil
	})
}

// ListParts implements s3.ObjectStore. MaxParts outside 1..1000 means 1000.
func (m *MemStore) ListParts(ctx context.Context, u s3.User, bucket, key, uploadID string, opts s3.ListPartsOptions) (s3.ListPartsResult, error) {
	var res s3.ListPartsResult
	err := m.withUpload(ctx, u, bucket, key, uploadID, func(_ *memBucket, up *memUpload) error {
		res = listParts(up, opts)
		return nil
	})
	return res, err
}

// listParts pages through up's parts in number order.
func listParts(up *memUpload, opts s3.ListPartsOptions) s3.ListPartsResult {
	max := opts.MaxParts
	if max <= 0 || max > s3.MaxKeysPerList {
		max = s3.MaxKeysPerList
	}
	nums := slices.Sorted(maps.Keys(up.parts))
	var res s3.ListPartsResult
	for _, n := range nums {
		if n <= opts.PartNumberMarker {
			continue
		}
		if len(res.Parts) == max {
			res.IsTruncated = true
			break
		}
		res.Parts = append(res.Parts, up.parts[n].info)
		res.NextPartNumberMarker = n
	}
	return res
}

// ListMultipartUploads implements s3.ObjectStore with s3.PaginateUploads.
// MaxUploads outside 1..1000 means 1000.
func (m *MemStore) ListMultipartUploads(ctx context.Context, u s3.User, bucket string, opts s3.ListUploadsOptions) (s3.ListUploadsResult, error) {
	if err := ctx.Err(); err != nil {
		return s3.ListUploadsResult{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	bk, err := m.bucket(u, bucket)
	if err != nil {
		return s3.ListUploadsResult{}, err
	}
	if opts.MaxUploads <= 0 || opts.MaxUploads > s3.MaxKeysPerList {
		opts.MaxUploads = s3.MaxKeysPerList
	}
	ups := make([]s3.UploadInfo, 0, len(bk.uploads))
	for _, up := range bk.uploads {
		ups = append(ups, up.info)
	}
	slices.SortFunc(ups, compareUploads)
	return s3.PaginateUploads(opts, &uploadCursor{ups: ups}), nil
}

// compareUploads orders uploads by key, initiation time, upload ID.
func compareUploads(a, b s3.UploadInfo) int {
	if c := strings.Compare(a.Key, b.Key); c != 0 {
		return c
	}
	if c := a.Initiated.Compare(b.Initiated); c != 0 {
		return c
	}
	return strings.Compare(a.UploadID, b.UploadID)
}

// uploadCursor is an s3.UploadCursor over a sorted slice.
type uploadCursor struct {
	ups []s3.UploadInfo
	i   int
}

func (c *uploadCursor) Seek(from string) {
	c.i, _ = slices.BinarySearchFunc(c.ups, from, func(u s3.UploadInfo, k string) int {
		return strings.Compare(u.Key, k)
	})
}

func (c *uploadCursor) Next() (s3.UploadInfo, bool) {
	if c.i >= len(c.ups) {
		return s3.UploadInfo{}, false
	}
	c.i++
	return c.ups[c.i-1], true
}
