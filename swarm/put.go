package swarm

import (
	"github.com/d3s/d3s/swarm/internal/infodict"

	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/dgraph-io/badger/v4"

	"github.com/d3s/d3s/swarm/internal/onepass"
)

// Put reads exactly size bytes from r, writes them once and fsyncs them,
// computing MD5, SHA-1 pieces and SHA-256 in the same pass, and returns the
// stored object holding one reference for the caller. Nothing is kept on
// error: ErrSizeMismatch, ErrMD5Mismatch, ErrSHA256Mismatch, or r's error.
func (s *Swarm) Put(ctx context.Context, r io.Reader, size int64, want Expect) (Object, error) {
	if size < 0 {
		return Object{}, ErrSizeMismatch
	}
	if s.eng.isClosed() {
		return Object{}, ErrClosed
	}
	if size <= s.inlineMax {
		return s.putInline(ctx, r, size, want)
	}
	f, err := onepass.CreateTemp(s.data.tmp())
	if err != nil {
		return Object{}, fmt.Errorf("swarm: put: %w", err)
	}
	d, err := s.writeFile(ctx, f, r, size, want)
	if err != nil {
		os.Remove(f.Name())
		return Object{}, err
	}
	rec := &record{kind: kindFile, size: size, pieceLen: infodict.PieceLength(size), md5: d.MD5, sha256: d.SHA256, refs: 1}
	info := infodict.Encode(size, rec.pieceLen, d.Pieces, d.SHA256)
	id := infoID(info)
	if err := s.commitFile(id, f.Name(), rec, info); err != nil {
		os.Remove(f.Name())
		return Object{}, err
	}
	return rec.object(id), nil
}

// checkDigests compares the digests of a pass with what the caller expects.
func checkDigests(d *onepass.Digests, want Expect) error {
	if want.MD5 != nil && string(want.MD5) != string(d.MD5[:]) {
		return ErrMD5Mismatch
	}
	if want.SHA256 != nil && string(want.SHA256) != string(d.SHA256[:]) {
		return ErrSHA256Mismatch
	}
	return nil
}

// writeFile streams r into f, checks the digests and makes f durable.
func (s *Swarm) writeFile(ctx context.Context, f *os.File, r io.Reader, size int64, want Expect) (onepass.Digests, error) {
	w := onepass.NewFileWriter(f)
	d, err := onepass.Run(ctx, r, size, infodict.PieceLength(size), true, w.WriteChunk)
	if err == nil {
		err = checkDigests(&d, want)
	}
	if err == nil {
		err = ctx.Err()
	}
	if err == nil {
		err = w.Finish()
	}
	if cerr := f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("swarm: put: %w", cerr)
	}
	return d, err
}

// commitFile moves a durable temp file to id's path and commits its
// record, or adds rec's references if the bytes are already stored.
func (s *Swarm) commitFile(id ID, tmp string, rec *record, info []byte) error {
	mu := &s.locks[id[0]]
	mu.Lock()
	defer mu.Unlock()
	if held, err := s.addRefs(id, rec.refs); held || err != nil {
		os.Remove(tmp)
		return err
	}
	dst := s.data.objPath(id)
	if err := s.data.place(tmp, dst); err != nil {
		return err
	}
	err := s.update(func(txn *badger.Txn) error {
		if err := txn.Set(key(prefixInfo, id), info); err != nil {
			return err
		}
		return txn.Set(key(prefixObject, id), rec.marshal())
	})
	if err != nil {
		os.Remove(dst)
		return fmt.Errorf("swarm: commit %s: %w", id, err)
	}
	return nil
}

// addRef adds a reference to id if it is stored and reports whether it was.
func (s *Swarm) addRef(id ID) (held bool, err error) { return s.addRefs(id, 1) }

// addRefs adds n references to id if it is stored and reports whether it
// was. A cached object that gains one leaves the cache.
func (s *Swarm) addRefs(id ID, n int64) (held bool, err error) {
	wasCached := false
	err = s.update(func(txn *badger.Txn) error {
		held, wasCached = false, false
		rec, err := getRecord(txn, id)
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		held = true
		if n == 0 {
			return nil
		}
		if wasCached = rec.refs == 0; wasCached {
			if err := txn.Delete(key(prefixCache, id)); err != nil {
				return err
			}
		}
		rec.refs += n
		return txn.Set(key(prefixObject, id), rec.marshal())
	})
	if err == nil && wasCached {
		s.cache.idx.Forget(id)
	}
	return held, err
}
