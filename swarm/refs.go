package swarm

import (
	"github.com/d3s/d3s/swarm/internal/infodict"

	"context"
	"errors"
	"fmt"
	"os"

	"github.com/dgraph-io/badger/v4"
)

// Ref adds a reference to a stored object (a copy). ErrNotFound.
func (s *Swarm) Ref(ctx context.Context, id ID) error {
	held, err := s.addRef(id)
	if err == nil && !held {
		err = fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	return err
}

// Release drops a reference; the bytes are deleted with the last one, and
// a Concat object then releases its parts. ErrNotFound.
func (s *Swarm) Release(ctx context.Context, id ID) error {
	gone, err := s.release(id)
	if err != nil || gone == nil {
		return err
	}
	var errs []error
	for _, p := range gone.parts {
		if err := s.Release(ctx, p); err != nil {
			errs = append(errs, fmt.Errorf("swarm: release part %s of %s: %w", p, id, err))
		}
	}
	return errors.Join(errs...)
}

// release drops one reference and returns the record if it was the last.
func (s *Swarm) release(id ID) (gone *record, err error) {
	mu := &s.locks[id[0]]
	mu.Lock()
	defer mu.Unlock()
	err = s.update(func(txn *badger.Txn) error {
		gone = nil
		rec, err := getRecord(txn, id)
		if err != nil {
			return err
		}
		if rec.refs--; rec.refs > 0 {
			return txn.Set(key(prefixObject, id), rec.marshal())
		}
		gone = rec
		return deleteKeys(txn, id)
	})
	if err != nil || gone == nil {
		return nil, err
	}
	s.removed(id, gone.kind)
	return gone, nil
}

// deleteKeys deletes every key of id: a removal that commits leaves
// nothing of the object in the database.
func deleteKeys(txn *badger.Txn, id ID) error {
	for _, p := range []string{prefixObject, prefixInfo, prefixInline, prefixCache} {
		if err := txn.Delete(key(p, id)); err != nil {
			return err
		}
	}
	return nil
}

// removed drops what a committed removal of id (kind k) left outside the
// database: its cache entry, a loaded torrent and a file object's file.
func (s *Swarm) removed(id ID, k kind) {
	s.cache.idx.Forget(id)
	s.eng.unload(id)
	if k == kindFile {
		if err := os.Remove(s.data.objPath(id)); err != nil && !errors.Is(err, os.ErrNotExist) {
			s.log.Warn("remove object file", "id", id, "err", err)
		}
	}
}

// MetaInfo returns the object's .torrent file. ErrNotFound.
func (s *Swarm) MetaInfo(ctx context.Context, id ID) ([]byte, error) {
	info, err := s.getValue(prefixInfo, id)
	if err != nil {
		return nil, err
	}
	return infodict.MetaInfo(info), nil
}
