package s3test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/d3s/d3s/s3"
)

// MemStore is an in-memory s3.ObjectStore, safe for concurrent use. Each
// user (by access key ID) has a private bucket namespace. Object versions are
// immutable byte slices, so readers never see a partial write: a new version
// replaces the old one under the lock only once its bytes are complete and
// verified.
type MemStore struct {
	mu    sync.Mutex
	users map[string]map[string]*memBucket // access key ID -> bucket name
}

var _ s3.ObjectStore = (*MemStore)(nil)

// memBucket holds a bucket's current versions and its uploads in progress.
type memBucket struct {
	info    s3.BucketInfo
	objects map[string]*memObject
	keys    []string // sorted keys of objects, for listing
	uploads map[string]*memUpload
}

// memObject is one immutable object version.
type memObject struct {
	info s3.ObjectInfo
	data []byte
}

// NewMemStore returns an empty store.
func NewMemStore() *MemStore {
	return &MemStore{users: make(map[string]map[string]*memBucket)}
}

// ListBuckets implements s3.ObjectStore.
func (m *MemStore) ListBuckets(ctx context.Context, u s3.User) ([]s3.BucketInfo, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]s3.BucketInfo, 0, len(m.users[u.AccessKeyID]))
	for _, b := range m.users[u.AccessKeyID] {
		out = append(out, b.info)
	}
	slices.SortFunc(out, func(a, b s3.BucketInfo) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// CreateBucket implements s3.ObjectStore.
func (m *MemStore) CreateBucket(ctx context.Context, u s3.User, bucket string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	ns := m.users[u.AccessKeyID]
	if ns == nil {
		ns = make(map[string]*memBucket)
		m.users[u.AccessKeyID] = ns
	}
	if _, ok := ns[bucket]; ok {
		return s3.ErrBucketAlreadyOwnedByYou
	}
	ns[bucket] = &memBucket{
		info:    s3.BucketInfo{Name: bucket, Created: nowUTC()},
		objects: make(map[string]*memObject),
		uploads: make(map[string]*memUpload),
	}
	return nil
}

// HeadBucket implements s3.ObjectStore.
func (m *MemStore) HeadBucket(ctx context.Context, u s3.User, bucket string) (s3.BucketInfo, error) {
	if err := ctx.Err(); err != nil {
		return s3.BucketInfo{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	b, err := m.bucket(u, bucket)
	if err != nil {
		return s3.BucketInfo{}, err
	}
	return b.info, nil
}

// DeleteBucket implements s3.ObjectStore.
func (m *MemStore) DeleteBucket(ctx context.Context, u s3.User, bucket string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	b, err := m.bucket(u, bucket)
	if err != nil {
		return err
	}
	if len(b.objects) > 0 || len(b.uploads) > 0 {
		return s3.ErrBucketNotEmpty
	}
	delete(m.users[u.AccessKeyID], bucket)
	return nil
}

// bucket finds u's bucket; m.mu must be held.
func (m *MemStore) bucket(u s3.User, bucket string) (*memBucket, error) {
	b, ok := m.users[u.AccessKeyID][bucket]
	if !ok {
		return nil, s3.ErrNoSuchBucket
	}
	return b, nil
}

// set makes obj key's current version; m.mu must be held.
func (b *memBucket) set(obj *memObject) {
	k := obj.info.Key
	if _, ok := b.objects[k]; !ok {
		i, _ := slices.BinarySearch(b.keys, k)
		b.keys = slices.Insert(b.keys, i, k)
	}
	b.objects[k] = obj
}

// remove deletes key; m.mu must be held.
func (b *memBucket) remove(key string) {
	if _, ok := b.objects[key]; !ok {
		return
	}
	delete(b.objects, key)
	if i, found := slices.BinarySearch(b.keys, key); found {
		b.keys = slices.Delete(b.keys, i, i+1)
	}
}

// randomID returns 16 random bytes in hex, for version and upload IDs.
func randomID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// nowUTC is the time stamped on buckets, versions, uploads and parts.
func nowUTC() time.Time { return time.Now().UTC() }
