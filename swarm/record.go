package swarm

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/dgraph-io/badger/v4"
)

// Badger keys, all followed by the 20-byte ID.
const (
	prefixObject = "swarm/o/" // record: layout, size, digests, reference count
	prefixInfo   = "swarm/i/" // the bencoded info dictionary
	prefixInline = "swarm/d/" // the bytes of an inline object
)

func key(prefix string, id ID) []byte { return append([]byte(prefix), id[:]...) }

// kind says where an object's bytes live.
type kind byte

const (
	kindFile   kind = 1 // a file under obj/, named by the ID
	kindInline kind = 2 // the prefixInline value
	kindConcat kind = 3 // the bytes of parts, in order
)

// record is the committed state of one object. Every piece of a recorded
// object is complete: it was hashed when it was written or verified when
// it was fetched.
type record struct {
	kind     kind
	size     int64
	pieceLen int64
	md5      [16]byte
	sha256   [32]byte
	refs     int64
	parts    []ID
}

const recordVersion = 1

// recordFixed is the encoded size without parts: version, kind, size,
// piece length, MD5, SHA-256, references, number of parts.
const recordFixed = 1 + 1 + 8 + 8 + 16 + 32 + 8 + 4

func (r *record) marshal() []byte {
	b := make([]byte, 0, recordFixed+len(r.parts)*len(ID{}))
	b = append(b, recordVersion, byte(r.kind))
	b = binary.BigEndian.AppendUint64(b, uint64(r.size))
	b = binary.BigEndian.AppendUint64(b, uint64(r.pieceLen))
	b = append(b, r.md5[:]...)
	b = append(b, r.sha256[:]...)
	b = binary.BigEndian.AppendUint64(b, uint64(r.refs))
	b = binary.BigEndian.AppendUint32(b, uint32(len(r.parts)))
	for _, p := range r.parts {
		b = append(b, p[:]...)
	}
	return b
}

func unmarshalRecord(b []byte) (*record, error) {
	if len(b) < recordFixed || b[0] != recordVersion {
		return nil, fmt.Errorf("swarm: corrupt record")
	}
	r := &record{kind: kind(b[1])}
	r.size = int64(binary.BigEndian.Uint64(b[2:]))
	r.pieceLen = int64(binary.BigEndian.Uint64(b[10:]))
	copy(r.md5[:], b[18:34])
	copy(r.sha256[:], b[34:66])
	r.refs = int64(binary.BigEndian.Uint64(b[66:]))
	n := int(binary.BigEndian.Uint32(b[74:]))
	if len(b) != recordFixed+n*len(ID{}) {
		return nil, fmt.Errorf("swarm: corrupt record")
	}
	r.parts = make([]ID, n)
	for i := range r.parts {
		copy(r.parts[i][:], b[recordFixed+i*len(ID{}):])
	}
	return r, nil
}

func (r *record) object(id ID) Object {
	return Object{ID: id, Size: r.size, PieceLength: r.pieceLen, MD5: r.md5, SHA256: r.sha256}
}

// getRecord reads id's record in txn. ErrNotFound.
func getRecord(txn *badger.Txn, id ID) (*record, error) {
	item, err := txn.Get(key(prefixObject, id))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	if err != nil {
		return nil, fmt.Errorf("swarm: read record %s: %w", id, err)
	}
	var rec *record
	err = item.Value(func(v []byte) error {
		rec, err = unmarshalRecord(v)
		return err
	})
	return rec, err
}

// record reads id's committed record. ErrNotFound.
func (s *Swarm) record(id ID) (rec *record, err error) {
	err = s.db.View(func(txn *badger.Txn) error {
		rec, err = getRecord(txn, id)
		return err
	})
	return rec, err
}

// getValue reads a whole value. ErrNotFound.
func (s *Swarm) getValue(prefix string, id ID) (v []byte, err error) {
	err = s.db.View(func(txn *badger.Txn) error {
		item, err := txn.Get(key(prefix, id))
		if errors.Is(err, badger.ErrKeyNotFound) {
			return fmt.Errorf("%w: %s", ErrNotFound, id)
		}
		if err != nil {
			return err
		}
		v, err = item.ValueCopy(nil)
		return err
	})
	return v, err
}

// update runs fn in a read-write transaction, retrying on conflicts.
func (s *Swarm) update(fn func(txn *badger.Txn) error) error {
	return updateRetry(s.db, fn)
}

func updateRetry(db *badger.DB, fn func(txn *badger.Txn) error) error {
	for {
		err := db.Update(fn)
		if !errors.Is(err, badger.ErrConflict) {
			return err
		}
	}
}

func isNotFound(err error) bool { return errors.Is(err, ErrNotFound) }
