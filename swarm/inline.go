package swarm

import (
	"github.com/d3s/d3s/swarm/internal/infodict"

	"context"
	"fmt"
	"io"

	"github.com/dgraph-io/badger/v4"

	"github.com/d3s/d3s/swarm/internal/onepass"
)

// putInline stores a small object inside the database: one synced commit
// instead of a file write, two fsyncs and a commit, and concurrent commits
// share one fsync (badger's group commit).
func (s *Swarm) putInline(ctx context.Context, r io.Reader, size int64, want Expect) (Object, error) {
	b := make([]byte, size)
	if _, err := io.ReadFull(r, b); err != nil {
		return Object{}, onepass.ReadErr(err)
	}
	if err := onepass.ExpectEOF(r); err != nil {
		return Object{}, err
	}
	rec := &record{kind: kindInline, size: size, pieceLen: infodict.PieceLength(size), refs: 1}
	d := onepass.HashAll(b, rec.pieceLen)
	if err := checkDigests(&d, want); err != nil {
		return Object{}, err
	}
	if err := ctx.Err(); err != nil {
		return Object{}, err
	}
	rec.md5, rec.sha256 = d.MD5, d.SHA256
	info := infodict.Encode(size, rec.pieceLen, d.Pieces, d.SHA256)
	id := infoID(info)
	if err := s.commitInline(id, rec, info, b); err != nil {
		return Object{}, err
	}
	return rec.object(id), nil
}

// commitInline commits an inline object, or adds rec's references if the
// bytes are already stored.
func (s *Swarm) commitInline(id ID, rec *record, info, data []byte) error {
	// No ID lock: there is no file to race with, badger's conflict
	// detection orders this against Release, and concurrent commits group.
	err := s.group.commit(func(txn *badger.Txn) error {
		if old, err := getRecord(txn, id); err == nil {
			if rec.refs == 0 {
				return nil
			}
			old.refs += rec.refs
			return txn.Set(key(prefixObject, id), old.marshal())
		} else if !isNotFound(err) {
			return err
		}
		if err := txn.Set(key(prefixInline, id), data); err != nil {
			return err
		}
		if err := txn.Set(key(prefixInfo, id), info); err != nil {
			return err
		}
		return txn.Set(key(prefixObject, id), rec.marshal())
	})
	if err != nil {
		return fmt.Errorf("swarm: commit %s: %w", id, err)
	}
	return nil
}
