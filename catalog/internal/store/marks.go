package store

import (
	"context"

	"github.com/dgraph-io/badger/v4"

	"github.com/d3s/d3s/catalog/internal/entry"
)

// A mark (package catalog's doc, "Partitions") is, per bucket and per
// bucket list, the latest time of this node's own entries that left the
// outbox because a published record held them.

// markKey holds this node's mark for a bucket (bucket "": the bucket list).
func markKey(user, bucket string) []byte {
	b := appendLP([]byte(prefixMark), user)
	return appendLP(b, bucket)
}

// encodeMark and decodeMark are the value of a mark key.
func encodeMark(t Time) []byte {
	enc := entry.Encoder{}
	enc.Varint(t.Wall)
	enc.Uvarint(uint64(t.Logical))
	return enc.B
}

func decodeMark(val []byte) Time {
	d := entry.Decoder{B: val}
	t := Time{Wall: d.Varint(), Logical: uint32(d.Uvarint())}
	if d.Finish("mark") != nil {
		return Time{}
	}
	return t
}

// getMark returns k's mark in txn, zero when none.
func getMark(txn *badger.Txn, k Key) (Time, error) {
	val, found, err := getValue(txn, markKey(k.User, k.Bucket))
	if err != nil || !found {
		return Time{}, err
	}
	return decodeMark(val), nil
}

// raiseMark sets k's mark to t in txn if t is later; it reports whether it
// did.
func raiseMark(txn *badger.Txn, k Key, t Time) (bool, error) {
	cur, err := getMark(txn, k)
	if err != nil || t.Compare(cur) <= 0 {
		return false, err
	}
	return true, txn.Set(markKey(k.User, k.Bucket), encodeMark(t))
}

// LoadMark returns k's mark, zero when none.
func (s *Store) LoadMark(k Key) (Time, error) {
	var t Time
	err := s.db.View(func(txn *badger.Txn) error {
		var err error
		t, err = getMark(txn, k)
		return err
	})
	return t, err
}

// LoadMarks returns the marks not older than cutoff and deletes the
// others: a mark older than TombstoneTTL guards nothing (such writes are
// not republished).
func (s *Store) LoadMarks(ctx context.Context, cutoff Time) (map[Key]Time, error) {
	marks := make(map[Key]Time)
	var stale [][]byte
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(prefixMark), PrefetchValues: true})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			user, rest, ok := readLP(it.Item().Key()[len(prefixMark):])
			bucket, _, ok2 := readLP(rest)
			val, err := it.Item().ValueCopy(nil)
			if err != nil {
				return err
			}
			if t := decodeMark(val); ok && ok2 && t.Compare(cutoff) >= 0 {
				marks[Key{user, bucket}] = t
			} else {
				stale = append(stale, it.Item().KeyCopy(nil))
			}
		}
		return nil
	})
	if err != nil || len(stale) == 0 {
		return marks, err
	}
	return marks, s.update(ctx, func(txn *badger.Txn) error {
		for _, key := range stale {
			if err := txn.Delete(key); err != nil {
				return err
			}
		}
		return nil
	})
}

// scanChunk bounds the index entries one transaction of a bucket scan
// (reenqueue, dropMarkers) reads.
const scanChunk = 1024

// RaiseMark sets k's mark to t if t is later and reports whether it did.
func (s *Store) RaiseMark(ctx context.Context, k Key, t Time) (bool, error) {
	var raised bool
	err := s.update(ctx, func(txn *badger.Txn) error {
		var err error
		raised, err = raiseMark(txn, k, t)
		return err
	})
	return raised, err
}

// SetMark sets k's mark to t, removing it when t is zero.
func (s *Store) SetMark(ctx context.Context, k Key, t Time) error {
	return s.update(ctx, func(txn *badger.Txn) error {
		if t.IsZero() {
			return txn.Delete(markKey(k.User, k.Bucket))
		}
		return txn.Set(markKey(k.User, k.Bucket), encodeMark(t))
	})
}
