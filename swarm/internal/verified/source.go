package verified

import (
	"bytes"
	"cmp"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
)

// Every stored object carries the SHA-1 of each of its pieces in its info
// dictionary, whose own hash is the object's ID. Whoever reads stored
// bytes (Open, Scrub, the engine serving a peer) checks a piece before it
// hands out a byte of it, so a disk that silently damaged a file cannot
// make this node return or serve wrong bytes: the read fails with
// ErrCorrupt instead and Config.OnCorrupt asks for a Repair.

// Source reads the pieces of one stored object and checks them.
type Source struct {
	ID       [20]byte    // the object's ID, named in errors
	R        io.ReaderAt // the file, the inline bytes or the Concat layout
	Size     int64
	PieceLen int64
	Hashes   []byte // the info dictionary's "pieces": 20 bytes per piece
	// OnCorrupt, when set, is called with the error of each damaged
	// piece found (ErrCorrupt).
	OnCorrupt func(err error)
}

// PieceStart returns the offset of the piece holding byte off.
func (ps *Source) PieceStart(off int64) int64 { return off - off%ps.PieceLen }

// Load reads n bytes from off, a piece boundary, into a pooled buffer
// and checks them: whole pieces, the last one short only at the end of
// the object. The span holds the verified pieces; its err says why the
// piece after them is not served.
func (ps *Source) Load(off, n int64) Span {
	buf := getBuf(n)
	b := (*buf)[:n]
	k, rerr := ps.R.ReadAt(b, off)
	good, err := ps.check(b[:k], off)
	if err == nil && good < len(b) {
		// A ReaderAt may report io.EOF with the last byte: only a short
		// read is an error.
		err = ps.readErr(off+int64(good), cmp.Or(rerr, io.ErrUnexpectedEOF))
	}
	return Span{Off: off, B: b[:good], Err: err, buf: buf}
}

// readErr explains a read that stopped before the end of the recorded
// size: a file shorter than its record lost the piece at off, anything
// else is an I/O error of this read.
func (ps *Source) readErr(off int64, err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return ps.corrupt(off/ps.PieceLen, "truncated")
	}
	return fmt.Errorf("swarm: read %s piece %d: %w", ps.name(), off/ps.PieceLen, err)
}

// check verifies the pieces of b, bytes of the object from off (a piece
// boundary), and returns how many bytes of whole verified pieces lead b.
// A trailing piece that b holds only part of is left unchecked, without
// error (load reports the short read); a damaged piece ends the check
// with an error wrapping ErrCorrupt.
func (ps *Source) check(b []byte, off int64) (int, error) {
	n := 0
	for n < len(b) && off+int64(n) < ps.Size {
		i := (off + int64(n)) / ps.PieceLen
		end := n + int(min(ps.PieceLen, ps.Size-i*ps.PieceLen))
		if end > len(b) {
			return n, nil
		}
		h := ps.Hashes[i*sha1.Size : (i+1)*sha1.Size]
		if sum := sha1.Sum(b[n:end]); !bytes.Equal(sum[:], h) {
			return n, ps.corrupt(i, "SHA-1 mismatch")
		}
		n = end
	}
	return n, nil
}

// corrupt reports damaged piece i and returns the error naming it.
func (ps *Source) corrupt(i int64, why string) error {
	err := CorruptErr(ps.ID, i, ps.PieceLen, why)
	if ps.OnCorrupt != nil {
		ps.OnCorrupt(err)
	}
	return err
}

// name is the object's ID in hex, as errors name it.
func (ps *Source) name() string { return hex.EncodeToString(ps.ID[:]) }

// CorruptErr names damaged piece i of object id: an error wrapping
// ErrCorrupt.
func CorruptErr(id [20]byte, i, pieceLen int64, why string) error {
	return fmt.Errorf("%w: %s piece %d (from byte %d): %s", ErrCorrupt, hex.EncodeToString(id[:]), i, i*pieceLen, why)
}

// CheckAll verifies b as the whole object: nil, or an error wrapping
// ErrCorrupt naming the first damaged piece.
func (ps *Source) CheckAll(b []byte) error {
	n, err := ps.check(b, 0)
	if err == nil && (n != len(b) || int64(n) != ps.Size) {
		i := min(int64(n), max(ps.Size-1, 0)) / ps.PieceLen
		err = ps.corrupt(i, fmt.Sprintf("%d bytes stored, %d recorded", len(b), ps.Size))
	}
	return err
}
