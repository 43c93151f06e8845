package store

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"fmt"

	"github.com/dgraph-io/badger/v4"

	"github.com/d3s/d3s/catalog/internal/entry"
)

// uploadVersion and partVersion are the first bytes of encoded upload and
// part records.
const (
	uploadVersion = 1
	partVersion   = 1
)

// Upload is a multipart upload in progress.
type Upload struct {
	Key       string
	ID        string // 32 hex digits: initiation time (wall, logical), then random
	Metadata  Metadata
	Initiated Time
}

// Part is one uploaded part of a multipart upload.
type Part struct {
	Number   int
	InfoHash [20]byte // swarm ID of the part's bytes
	Size     int64
	ETag     string // MD5 hex
	Checksum Checksum
	Time     Time
}

func marshalUpload(u *Upload) []byte {
	enc := entry.Encoder{}
	enc.Byte(uploadVersion)
	enc.Str(u.Key)
	enc.Str(u.ID)
	enc.Metadata(&u.Metadata)
	enc.Varint(u.Initiated.Wall)
	enc.Uvarint(uint64(u.Initiated.Logical))
	return enc.B
}

func unmarshalUpload(b []byte) (Upload, error) {
	d := entry.Decoder{B: b}
	if v := d.Byte(); d.Err == nil && v != uploadVersion {
		return Upload{}, fmt.Errorf("upload version %d: %w", v, entry.ErrUnknownVersion)
	}
	var u Upload
	u.Key = d.Str()
	u.ID = d.Str()
	d.Metadata(&u.Metadata)
	u.Initiated.Wall = d.Varint()
	u.Initiated.Logical = uint32(d.Uvarint())
	return u, d.Finish("upload")
}

func marshalPart(p *Part) []byte {
	enc := entry.Encoder{}
	enc.Byte(partVersion)
	enc.Uvarint(uint64(p.Number))
	enc.Raw(p.InfoHash[:])
	enc.Uvarint(uint64(p.Size))
	enc.Str(p.ETag)
	enc.Str(p.Checksum.Algorithm)
	enc.Str(p.Checksum.Value)
	enc.Varint(p.Time.Wall)
	enc.Uvarint(uint64(p.Time.Logical))
	return enc.B
}

func unmarshalPart(b []byte) (Part, error) {
	d := entry.Decoder{B: b}
	if v := d.Byte(); d.Err == nil && v != partVersion {
		return Part{}, fmt.Errorf("part version %d: %w", v, entry.ErrUnknownVersion)
	}
	var p Part
	p.Number = int(d.Uvarint())
	d.Raw(p.InfoHash[:])
	p.Size = int64(d.Uvarint())
	p.ETag = d.Str()
	p.Checksum.Algorithm = d.Str()
	p.Checksum.Value = d.Str()
	p.Time.Wall = d.Varint()
	p.Time.Logical = uint32(d.Uvarint())
	return p, d.Finish("part")
}

// newUploadID returns an ID whose hex order is initiation order, so that
// uploads of one key list by (initiation time, ID) as S3 requires.
func newUploadID(t Time) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(t.Wall))
	binary.BigEndian.PutUint32(b[8:12], t.Logical)
	rand.Read(b[12:])
	return hex.EncodeToString(b[:])
}

// validUploadID reports whether id could have come from newUploadID.
func validUploadID(id string) bool {
	if len(id) != 32 {
		return false
	}
	_, err := hex.DecodeString(id)
	return err == nil
}

// CreateUpload starts a multipart upload of key. ErrNoSuchBucket.
func (s *Store) CreateUpload(ctx context.Context, user, bucket, key string, meta Metadata) (Upload, error) {
	u := Upload{Key: key, Metadata: meta, Initiated: s.clock.Now()}
	u.ID = newUploadID(u.Initiated)
	val := marshalUpload(&u)
	err := s.withBucket(user, bucket, func() error {
		return s.update(ctx, func(txn *badger.Txn) error {
			if _, err := getBucket(txn, user, bucket); err != nil {
				return err
			}
			return txn.Set(uploadKey(user, bucket, key, u.ID), val)
		})
	})
	return u, err
}

// getUpload reads an upload record. ErrNoSuchUpload.
func getUpload(txn *badger.Txn, user, bucket, key, id string) (Upload, error) {
	if !validUploadID(id) {
		return Upload{}, fmt.Errorf("upload %q: %w", id, ErrNoSuchUpload)
	}
	val, found, err := getValue(txn, uploadKey(user, bucket, key, id))
	if err != nil {
		return Upload{}, err
	}
	if !found {
		return Upload{}, fmt.Errorf("upload %s: %w", id, ErrNoSuchUpload)
	}
	return unmarshalUpload(val)
}

// GetUpload returns an upload in progress. ErrNoSuchUpload.
func (s *Store) GetUpload(ctx context.Context, user, bucket, key, id string) (Upload, error) {
	var u Upload
	err := s.view(ctx, func(txn *badger.Txn) error {
		var err error
		u, err = getUpload(txn, user, bucket, key, id)
		return err
	})
	return u, err
}
