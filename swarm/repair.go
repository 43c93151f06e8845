package swarm

import (
	"github.com/d3s/d3s/swarm/internal/infodict"

	"context"
	"errors"
	"fmt"
	"os"

	"github.com/dgraph-io/badger/v4"
	"golang.org/x/sys/unix"
)

// Repair replaces the stored bytes of a damaged object with a copy
// downloaded from peers, keeping its references: the swarm's own info
// dictionary of id names the pieces, the engine checks each piece's SHA-1
// as it arrives, and the whole file is hashed again (SHA-256 and pieces)
// before it replaces the old bytes. A file object's file is replaced by a
// rename (readers that opened the old one keep reading it), an inline
// object's value is rewritten, and a Concat object becomes a plain file
// object, its parts released.
//
// It runs as a download (download.go) marked as a repair, so concurrent
// Repair calls for one object share it. The download unloads a torrent
// seeding the damaged copy first, or the engine would serve it and give
// the download its storage; it is loaded again after a repair that
// succeeded. ErrNotFound (also when the object is released meanwhile),
// ErrSHA256Mismatch, or the context's error if the peers do not deliver.
func (s *Swarm) Repair(ctx context.Context, id ID, peers []string) error {
	if _, err := s.record(id); err != nil {
		return err
	}
	info, err := s.getValue(prefixInfo, id)
	if err != nil {
		return err
	}
	fi, err := parseMetaInfo(id, infodict.MetaInfo(info))
	if err != nil {
		return fmt.Errorf("swarm: repair %s: %w", id, err)
	}
	if err := s.awaitDownload(ctx, id, fi, peers, true); err != nil {
		return fmt.Errorf("swarm: repair: %w", err)
	}
	s.log.Info("repaired", "id", id)
	return nil
}

// reseed loads a repaired object's torrent again.
func (s *Swarm) reseed(id ID) {
	if err := s.Seed(s.ctx, id); err != nil && !isNotFound(err) && s.ctx.Err() == nil {
		s.log.Warn("seed repaired object", "id", id, "err", err)
	}
}

// commitRepaired puts verified bytes, the temp file f, in place of the
// stored bytes of id under id's lock, so that no Release deletes the
// object in between; parts a Concat object no longer needs are released
// afterwards (a crash in between leaks their bytes, never loses any).
func (s *Swarm) commitRepaired(id ID, fi fetchInfo, f *os.File) error {
	mu := &s.locks[id[0]]
	mu.Lock()
	parts, err := s.replaceBytes(id, fi, f)
	mu.Unlock()
	if err != nil {
		return fmt.Errorf("swarm: repair %s: %w", id, err)
	}
	var errs []error
	for _, p := range parts {
		if err := s.Release(s.ctx, p); err != nil {
			errs = append(errs, fmt.Errorf("swarm: repair %s: release part %s: %w", id, p, err))
		}
	}
	return errors.Join(errs...)
}

// replaceBytes replaces id's bytes by kind, returning the parts of a
// Concat object it turned into a file object.
func (s *Swarm) replaceBytes(id ID, fi fetchInfo, f *os.File) ([]ID, error) {
	rec, err := s.record(id)
	if err != nil {
		return nil, err
	}
	if rec.kind == kindInline {
		return nil, s.replaceInline(id, fi, f)
	}
	if err := unix.Fdatasync(int(f.Fd())); err != nil {
		return nil, fmt.Errorf("sync: %w", err)
	}
	dst := s.data.objPath(id)
	if err := s.data.renameDurable(f.Name(), dst); err != nil {
		return nil, err
	}
	if rec.kind == kindFile {
		return nil, nil
	}
	var parts []ID
	err = s.update(func(txn *badger.Txn) error {
		rec, err := getRecord(txn, id)
		if err != nil {
			return err
		}
		parts, rec.kind, rec.parts = rec.parts, kindFile, nil
		return txn.Set(key(prefixObject, id), rec.marshal())
	})
	if err != nil {
		os.Remove(dst) // still a Concat object: the file is not its
		return nil, err
	}
	return parts, nil
}

// replaceInline rewrites an inline object's value.
func (s *Swarm) replaceInline(id ID, fi fetchInfo, f *os.File) error {
	b := make([]byte, fi.size)
	if _, err := f.ReadAt(b, 0); err != nil && fi.size > 0 {
		return err
	}
	return s.update(func(txn *badger.Txn) error {
		if _, err := getRecord(txn, id); err != nil {
			return err
		}
		return txn.Set(key(prefixInline, id), b)
	})
}
