package store

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"fmt"

	"github.com/dgraph-io/badger/v4"

	"github.com/d3s/d3s/catalog/internal/entry"
)

// Check inspects a key's current entry (nil when there is none) inside the
// write transaction; a non-nil error aborts the write and is returned
// unchanged, so conditional writes are atomic.
type Check func(current *Entry) error

// Put makes e the current entry of e.Key in bucket and returns the entry
// it replaced (nil if none), whose bytes the caller may now release. Put
// stamps e.Time, e.Writer and e.VersionID when they are zero. The write is
// durable, and queued for publication, when Put returns. ErrNoSuchBucket,
// or check's error.
func (s *Store) Put(ctx context.Context, user, bucket string, e *Entry, check Check) (*Entry, error) {
	s.Stamp(e)
	val, err := e.MarshalBinary()
	if err != nil {
		return nil, err
	}
	var replaced *Entry
	err = s.withBucket(user, bucket, func() error {
		return s.update(ctx, func(txn *badger.Txn) error {
			var err error
			replaced, err = s.putTxn(txn, user, bucket, e.Key, val, check)
			return err
		})
	})
	if err == nil {
		s.wrote(user, bucket)
	}
	return replaced, err
}

// putTxn writes an entry of this node and its outbox copy; the replaced
// entry and the one check sees are nil when the key had none or a delete
// marker.
func (s *Store) putTxn(txn *badger.Txn, user, bucket, key string, val []byte, check Check) (*Entry, error) {
	if _, err := getBucket(txn, user, bucket); err != nil {
		return nil, err
	}
	okey := ObjectKey(user, bucket, key)
	cur, err := getEntry(txn, okey)
	if err != nil {
		return nil, err
	}
	if cur != nil && cur.DeleteMarker {
		cur = nil
	}
	if check != nil {
		if err := check(cur); err != nil {
			return nil, err
		}
	}
	if err := txn.Set(okey, val); err != nil {
		return nil, err
	}
	return cur, txn.Set(outboxKey(user, bucket, key), val)
}

// Stamp fills in the writer's clock reading, ID and a version ID.
func (s *Store) Stamp(e *Entry) {
	if e.Time.IsZero() {
		e.Time = s.clock.Now()
	} else {
		s.clock.Observe(e.Time)
	}
	if e.Writer == "" {
		e.Writer = s.nodeID
	}
	if e.VersionID == "" {
		e.VersionID = versionID(e.Time)
	}
}

// versionID derives a version ID from a clock reading: hex of the wall
// time and counter, so version IDs sort like the versions they name.
func versionID(t Time) string {
	var b [12]byte
	binary.BigEndian.PutUint64(b[:8], uint64(t.Wall))
	binary.BigEndian.PutUint32(b[8:], t.Logical)
	return hex.EncodeToString(b[:])
}

// getEntry returns the entry stored at key, or nil.
func getEntry(txn *badger.Txn, key []byte) (*Entry, error) {
	val, found, err := getValue(txn, key)
	if err != nil || !found {
		return nil, err
	}
	e := new(Entry)
	if err := e.UnmarshalBinary(val); err != nil {
		return nil, fmt.Errorf("entry %q: %w", key, err)
	}
	return e, nil
}

// Get returns key's current entry. ErrNoSuchBucket, ErrNotFound (also
// when the key's latest entry is a delete marker).
func (s *Store) Get(ctx context.Context, user, bucket, key string) (*Entry, error) {
	var e *Entry
	err := s.view(ctx, func(txn *badger.Txn) error {
		if _, err := getBucket(txn, user, bucket); err != nil {
			return err
		}
		var err error
		e, err = getEntry(txn, ObjectKey(user, bucket, key))
		if err == nil && (e == nil || e.DeleteMarker) {
			e, err = nil, fmt.Errorf("get %q: %w", key, ErrNotFound)
		}
		return err
	})
	return e, err
}

// Delete replaces key's current entry with a delete marker and returns
// the entry it replaced (nil if the key had none), so the caller can
// release its bytes. The marker is kept (and published) so that the
// deletion wins over older writes merged from other nodes; a key that
// already ends in a marker gets a newer one, for writes made elsewhere
// before this DELETE that have not merged here yet. ErrNoSuchBucket.
func (s *Store) Delete(ctx context.Context, user, bucket, key string) (*Entry, error) {
	var removed *Entry
	wrote := false
	err := s.withBucket(user, bucket, func() error {
		return s.update(ctx, func(txn *badger.Txn) error {
			var err error
			removed, wrote, err = s.deleteTxn(txn, user, bucket, key)
			return err
		})
	})
	if err == nil && wrote {
		s.wrote(user, bucket)
	}
	return removed, err
}

func (s *Store) deleteTxn(txn *badger.Txn, user, bucket, key string) (*Entry, bool, error) {
	if _, err := getBucket(txn, user, bucket); err != nil {
		return nil, false, err
	}
	cur, err := getEntry(txn, ObjectKey(user, bucket, key))
	if err != nil {
		return nil, false, err
	}
	if cur != nil && cur.DeleteMarker {
		// Deleted here already, but a version written on another node
		// before this DELETE may not have merged yet: only a newer marker
		// makes it lose once it does (an acknowledged DELETE is never
		// undone by an older write).
		cur = nil
	}
	marker := &Entry{Key: key, DeleteMarker: true}
	s.Stamp(marker)
	val, err := marker.MarshalBinary()
	if err != nil {
		return nil, false, err
	}
	if err := txn.Set(ObjectKey(user, bucket, key), val); err != nil {
		return nil, false, err
	}
	return cur, true, txn.Set(outboxKey(user, bucket, key), val)
}

// hasLiveEntry reports whether any object or upload entry under a
// bucket's prefix is not a delete marker (parts count only through their
// upload).
func hasLiveEntry(txn *badger.Txn, prefix []byte) bool {
	it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix})
	defer it.Close()
	for it.Rewind(); it.Valid(); it.Next() {
		if entry.KindOf(string(it.Item().Key()[len(prefix):])) == entry.KindPart {
			continue
		}
		live := false
		_ = it.Item().Value(func(v []byte) error {
			live = !entry.IsMarker(v)
			return nil
		})
		if live {
			return true
		}
	}
	return false
}
