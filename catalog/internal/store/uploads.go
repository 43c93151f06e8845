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

// Multipart uploads and their parts are entries of the bucket's key space
// under reserved keys (entry.UploadKey, entry.PartKey): they go through
// the outbox, the published heads, the snapshot runs and the merge like
// object entries, so every node of the network sees them.

// Upload is a multipart upload in progress.
type Upload struct {
	Key       string
	ID        string // 32 hex digits: initiation time (wall, logical), then random
	Metadata  Metadata
	Checksum  Checksum // the algorithm the client chose (no value)
	Initiated Time
	Writer    string // the node that started it
}

// Part is one uploaded part of a multipart upload.
type Part struct {
	Number   int
	InfoHash [20]byte // swarm ID of the part's bytes
	Size     int64
	ETag     string // MD5 hex
	Checksum Checksum
	Time     Time
	Writer   string // the node that stored it; stamped by PutPart
}

// Entry returns the catalogue entry of part p of upload id: the version
// whose bytes a holder keeps and repair and collection account for.
func (p *Part) Entry(id string) *Entry {
	return &Entry{Key: entry.PartKey(id, p.Number), InfoHash: p.InfoHash, Size: p.Size,
		ETag: p.ETag, Checksum: p.Checksum, Time: p.Time, Writer: p.Writer}
}

func partOf(e *Entry, number int) Part {
	return Part{Number: number, InfoHash: e.InfoHash, Size: e.Size, ETag: e.ETag,
		Checksum: e.Checksum, Time: e.Time, Writer: e.Writer}
}

func uploadEntry(u *Upload) *Entry {
	return &Entry{Key: entry.UploadKey(u.Key, u.ID), Metadata: u.Metadata,
		Checksum: Checksum{Algorithm: u.Checksum.Algorithm}, Time: u.Initiated}
}

func uploadOf(e *Entry) (Upload, bool) {
	key, id, ok := entry.ParseUploadKey(e.Key)
	return Upload{Key: key, ID: id, Metadata: e.Metadata, Checksum: e.Checksum,
		Initiated: e.Time, Writer: e.Writer}, ok
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

// CreateUpload starts a multipart upload of key with the metadata and
// checksum algorithm of u. ErrNoSuchBucket.
func (s *Store) CreateUpload(ctx context.Context, user, bucket string, u Upload) (Upload, error) {
	u.Initiated = s.clock.Now()
	u.ID = newUploadID(u.Initiated)
	u.Writer = s.nodeID
	e := uploadEntry(&u)
	_, err := s.Put(ctx, user, bucket, e, nil)
	return u, err
}

// getUpload reads a live upload entry. ErrNoSuchUpload.
func getUpload(txn *badger.Txn, user, bucket, key, id string) (Upload, error) {
	if !validUploadID(id) {
		return Upload{}, fmt.Errorf("upload %q: %w", id, ErrNoSuchUpload)
	}
	e, err := getEntry(txn, ObjectKey(user, bucket, entry.UploadKey(key, id)))
	if err != nil {
		return Upload{}, err
	}
	if e == nil || e.DeleteMarker {
		return Upload{}, fmt.Errorf("upload %s: %w", id, ErrNoSuchUpload)
	}
	u, _ := uploadOf(e)
	return u, nil
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

// withData drops upload entries from old: they reference no swarm data,
// so whoever releases replaced versions has nothing to do for them.
func withData(old []*Entry) []*Entry {
	out := old[:0:0]
	for _, e := range old {
		if entry.KindOf(e.Key) != entry.KindUpload {
			out = append(out, e)
		}
	}
	return out
}
