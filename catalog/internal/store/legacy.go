package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/dgraph-io/badger/v4"

	"github.com/d3s/d3s/catalog/internal/entry"
)

// Before multipart uploads were catalogue entries, each node kept its own
// under cat/u/ (upload records) and cat/p/ (part records), never
// published. MigrateUploads turns what it finds there into entries.

// legacyVersion is the first byte of the legacy upload and part records.
const legacyVersion = 1

// legacyUpload decodes a legacy upload record: version key id metadata
// initiated(wall, logical).
func legacyUpload(b []byte) (Upload, error) {
	d := entry.Decoder{B: b}
	if v := d.Byte(); d.Err == nil && v != legacyVersion {
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

// legacyPart decodes a legacy part record: version number infohash size
// etag checksum(algorithm, value) time(wall, logical).
func legacyPart(b []byte) (Part, error) {
	d := entry.Decoder{B: b}
	if v := d.Byte(); d.Err == nil && v != legacyVersion {
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

// MigrateUploads turns the legacy upload and part records into entries
// of this node (in the index and the outbox, so they are published), one
// upload per transaction, and deletes the records. An upload whose bucket
// is gone, or that does not decode, is dropped with its parts (logged).
func (s *Store) MigrateUploads(ctx context.Context) error {
	var keys [][]byte
	err := s.view(ctx, func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(prefixUpload)})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			keys = append(keys, it.Item().KeyCopy(nil))
		}
		return nil
	})
	for _, k := range keys {
		if err != nil {
			break
		}
		err = s.update(ctx, func(txn *badger.Txn) error { return s.migrateOne(txn, k) })
	}
	return err
}

// migrateOne migrates the legacy upload stored under k.
func (s *Store) migrateOne(txn *badger.Txn, k []byte) error {
	user, rest, ok := readLP(k[len(prefixUpload):])
	bucket, _, ok2 := readLP(rest)
	val, found, err := getValue(txn, k)
	if err != nil || !found {
		return err
	}
	u, derr := legacyUpload(val)
	if err := txn.Delete(k); err != nil || derr != nil || !ok || !ok2 {
		s.log.Warn("drop legacy upload", "key", fmt.Sprintf("%q", k), "err", errors.Join(err, derr))
		return err
	}
	parts, err := legacyParts(txn, u.ID)
	if err != nil {
		return err
	}
	if _, err := getBucket(txn, user, bucket); err != nil {
		s.log.Warn("drop legacy upload", "user", user, "bucket", bucket, "upload", u.ID, "err", err)
		return nil
	}
	u.Writer = s.nodeID
	entries := []*Entry{uploadEntry(&u)}
	for i := range parts {
		parts[i].Writer = s.nodeID
		entries = append(entries, parts[i].Entry(u.ID))
	}
	for _, e := range entries {
		s.Stamp(e)
		val, err := e.MarshalBinary()
		if err != nil {
			return err
		}
		if _, err := s.putTxn(txn, user, bucket, e.Key, val, nil); err != nil {
			return err
		}
	}
	return nil
}

// legacyParts reads and deletes the legacy part records of upload id.
func legacyParts(txn *badger.Txn, id string) ([]Part, error) {
	it := txn.NewIterator(badger.IteratorOptions{Prefix: partsPrefix(id)})
	var (
		parts []Part
		keys  [][]byte
	)
	for it.Rewind(); it.Valid(); it.Next() {
		keys = append(keys, it.Item().KeyCopy(nil))
		if err := it.Item().Value(func(v []byte) error {
			p, err := legacyPart(v)
			if err == nil {
				parts = append(parts, p)
			}
			return nil
		}); err != nil {
			it.Close()
			return nil, err
		}
	}
	it.Close()
	for _, k := range keys {
		if err := txn.Delete(k); err != nil {
			return nil, err
		}
	}
	return parts, nil
}
