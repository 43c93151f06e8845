package catalog

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"

	"github.com/dgraph-io/badger/v4"
)

// snapshotMagic starts every snapshot blob; the byte after it is the
// format version (see doc.go).
const (
	snapshotMagic   = "d3s-snap"
	snapshotVersion = 1
)

// encodeSnapshot writes the whole local index of a bucket, delete markers
// included, as a snapshot blob: keys come out of badger in byte order.
func (c *Catalog) encodeSnapshot(user, bucket string) ([]byte, int, error) {
	var (
		body  []byte
		count int
	)
	prefix := objectsPrefix(user, bucket)
	err := c.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix, PrefetchValues: true, PrefetchSize: 256})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			err := it.Item().Value(func(v []byte) error {
				enc := encoder{b: body}
				enc.uvarint(uint64(len(v)))
				enc.raw(v)
				body = enc.b
				return nil
			})
			if err != nil {
				return err
			}
			count++
		}
		return nil
	})
	enc := encoder{b: make([]byte, 0, len(body)+len(snapshotMagic)+11)}
	enc.raw([]byte(snapshotMagic))
	enc.byte1(snapshotVersion)
	enc.uvarint(uint64(count))
	enc.raw(body)
	return enc.b, count, err
}

// snapshotID is a snapshot's content address.
func snapshotID(data []byte) []byte {
	sum := sha256.Sum256(data)
	return sum[:]
}

// decodeSnapshot checks that data is the snapshot named id and calls fn
// with its entries in key order, at most txnChunk at a time (the slice is
// reused). ErrBadSnapshot, ErrUnknownVersion.
func decodeSnapshot(id, data []byte, fn func([]*Entry) error) error {
	if !bytes.Equal(snapshotID(data), id) {
		return fmt.Errorf("snapshot %x: content does not match its ID: %w", id, ErrBadSnapshot)
	}
	if !bytes.HasPrefix(data, []byte(snapshotMagic)) {
		return fmt.Errorf("snapshot %x: %w: no magic", id, ErrBadSnapshot)
	}
	d := decoder{b: data[len(snapshotMagic):]}
	if v := d.byte1(); d.err == nil && v != snapshotVersion {
		return fmt.Errorf("snapshot version %d: %w", v, ErrUnknownVersion)
	}
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		return fmt.Errorf("snapshot %x: %w: count %d", id, ErrBadSnapshot, n)
	}
	chunk := make([]*Entry, 0, txnChunk)
	prev := ""
	for i := uint64(0); i < n; i++ {
		e := new(Entry)
		raw := d.b
		if l := d.uvarint(); l <= uint64(len(d.b)) {
			raw = d.b[:l]
			d.b = d.b[l:]
		} else {
			d.fail("snapshot entry")
		}
		if err := e.UnmarshalBinary(raw); err != nil || d.err != nil || (i > 0 && e.Key <= prev) {
			return fmt.Errorf("snapshot %x entry %d: %w", id, i, ErrBadSnapshot)
		}
		prev = e.Key
		if chunk = append(chunk, e); len(chunk) == txnChunk {
			if err := fn(chunk); err != nil {
				return err
			}
			chunk = chunk[:0]
		}
	}
	if err := d.finish("snapshot"); err != nil {
		return fmt.Errorf("snapshot %x: %w", id, ErrBadSnapshot)
	}
	if len(chunk) > 0 {
		return fn(chunk)
	}
	return nil
}

// cutSnapshot stores the bucket's whole local index as a snapshot blob
// and returns its ID.
func (s *syncer) cutSnapshot(ctx context.Context, k bkey) ([]byte, error) {
	data, count, err := s.c.encodeSnapshot(k.user, k.bucket)
	if err != nil {
		return nil, fmt.Errorf("encode snapshot: %w", err)
	}
	id, err := s.cfg.Blobs.PutBlob(ctx, data)
	if err != nil {
		return nil, fmt.Errorf("store snapshot: %w", err)
	}
	if !bytes.Equal(id, snapshotID(data)) {
		return nil, fmt.Errorf("store snapshot: blob store returned ID %x for content %x: %w", id, snapshotID(data), ErrBadSnapshot)
	}
	s.log.Debug("snapshot cut", "user", k.user, "bucket", k.bucket, "entries", count, "bytes", len(data))
	return id, nil
}
