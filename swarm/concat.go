package swarm

import (
	"github.com/d3s/d3s/swarm/internal/infodict"

	"context"
	"fmt"
	"io"

	"github.com/dgraph-io/badger/v4"

	"github.com/d3s/d3s/swarm/internal/layout"
	"github.com/d3s/d3s/swarm/internal/onepass"
)

// Concat builds one object from stored objects in order, without copying
// their bytes, and returns it holding one reference (it also holds its
// parts). ErrNotFound if a part is missing.
func (s *Swarm) Concat(ctx context.Context, parts []ID) (Object, error) {
	l := &layout.Reader{}
	defer l.Close()
	for _, p := range parts {
		if err := s.appendSegments(ctx, l, p, 1); err != nil {
			return Object{}, fmt.Errorf("swarm: concat: %w", err)
		}
	}
	// One read pass over the parts, SHA-256 and SHA-1 pieces in parallel.
	d, err := onepass.Run(ctx, io.NewSectionReader(l, 0, l.Size()), l.Size(), infodict.PieceLength(l.Size()), false, nil)
	if err != nil {
		return Object{}, fmt.Errorf("swarm: concat: %w", err)
	}
	rec := &record{kind: kindConcat, size: l.Size(), pieceLen: infodict.PieceLength(l.Size()), sha256: d.SHA256, refs: 1, parts: parts}
	info := infodict.Encode(rec.size, rec.pieceLen, d.Pieces, d.SHA256)
	id := infoID(info)
	return s.commitConcat(id, rec, info)
}

// commitConcat records a Concat object and a reference to each part in one
// transaction, or only adds a reference if the same bytes are stored.
// Badger's conflict detection orders it against a concurrent Release of a
// part: whichever commits second retries and sees the other.
func (s *Swarm) commitConcat(id ID, rec *record, info []byte) (Object, error) {
	obj := rec.object(id)
	err := s.update(func(txn *badger.Txn) error {
		obj = rec.object(id)
		if old, err := getRecord(txn, id); err == nil {
			obj = old.object(id)
			old.refs++
			return txn.Set(key(prefixObject, id), old.marshal())
		} else if !isNotFound(err) {
			return err
		}
		for _, p := range rec.parts {
			part, err := getRecord(txn, p)
			if err != nil {
				return err
			}
			part.refs++
			if err := txn.Set(key(prefixObject, p), part.marshal()); err != nil {
				return err
			}
		}
		if err := txn.Set(key(prefixInfo, id), info); err != nil {
			return err
		}
		return txn.Set(key(prefixObject, id), rec.marshal())
	})
	if err != nil {
		return Object{}, fmt.Errorf("swarm: concat %s: %w", id, err)
	}
	return obj, nil
}
