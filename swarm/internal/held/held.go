package held

import (
	"errors"
	"io"
	"sync"
	"sync/atomic"

	"github.com/anacrolix/torrent/storage"

	"github.com/d3s/d3s/swarm/internal/verified"
)

// ErrReadOnly is returned by a write or MarkNotComplete: stored objects
// are read-only.
var ErrReadOnly = errors.New("swarm: stored objects are read-only")

// New returns the storage of a loaded torrent of n pieces whose bytes
// src reads (its R is set; src is copied).
func New(src *verified.Source, n int) *Torrent {
	return &Torrent{src: *src, state: make([]atomic.Uint32, n)}
}

// Piece returns the storage of piece i.
func (t *Torrent) Piece(i int) storage.PieceImpl { return piece{t: t, i: i} }

// Piece states of a Torrent.
const (
	pieceUnchecked = iota
	pieceGood
	pieceDamaged
)

// Torrent is a loaded torrent of a stored object. Every piece starts
// unchecked; the first read of a piece reads and hashes all of it, and
// the result holds while the torrent stays loaded, so a piece is hashed
// once per load however many peers fetch it.
type Torrent struct {
	src   verified.Source // its reader is the object's layout
	state []atomic.Uint32
	locks [16]sync.Mutex // by piece index: one check per piece at a time
}

// piece is a piece of a stored object.
type piece struct {
	t *Torrent
	i int
}

// ReadAt serves bytes of a piece that passed its check; a damaged piece
// fails with verified.ErrCorrupt. The engine (anacrolix v1.61.0,
// peerRequestDataReadFailed) then asks Completion, learns the piece is
// gone and rejects the peer's request; a peer that asks again is
// disconnected ("peer requested piece we don't have"), and a new
// connection shows it this node's bitfield without the piece. A seeding
// torrent does not want the piece back, so nothing retries here.
func (p piece) ReadAt(b []byte, off int64) (int, error) {
	start := int64(p.i) * p.t.src.PieceLen
	plen := min(p.t.src.PieceLen, p.t.src.Size-start)
	b = b[:min(int64(len(b)), max(plen-off, 0))]
	if len(b) == 0 {
		return 0, io.EOF
	}
	if p.t.state[p.i].Load() == pieceUnchecked {
		return p.check(b, start, plen, off)
	}
	return p.readChecked(b, start+off)
}

// check reads and hashes the whole piece (from start, plen bytes), unless
// another reader did meanwhile, and serves b at off from it.
func (p piece) check(b []byte, start, plen, off int64) (int, error) {
	mu := &p.t.locks[p.i%len(p.t.locks)]
	mu.Lock()
	defer mu.Unlock()
	if p.t.state[p.i].Load() != pieceUnchecked {
		return p.readChecked(b, start+off)
	}
	sp := p.t.src.Load(start, plen)
	defer sp.Release()
	if int64(len(sp.B)) < plen {
		if errors.Is(sp.Err, verified.ErrCorrupt) {
			p.t.state[p.i].Store(pieceDamaged)
		}
		return 0, sp.Err
	}
	p.t.state[p.i].Store(pieceGood)
	return copy(b, sp.B[off:]), nil
}

// readChecked reads a checked piece.
func (p piece) readChecked(b []byte, off int64) (int, error) {
	if p.t.state[p.i].Load() == pieceDamaged {
		return 0, p.damaged()
	}
	return p.t.src.R.ReadAt(b, off)
}

func (p piece) damaged() error {
	return verified.CorruptErr(p.t.src.ID, int64(p.i), p.t.src.PieceLen, "found damaged earlier")
}

func (piece) WriteAt([]byte, int64) (int, error) { return 0, ErrReadOnly }
func (piece) MarkComplete() error                { return nil }
func (piece) MarkNotComplete() error             { return ErrReadOnly }

// Completion reports every piece complete but a damaged one: checking
// here would read the whole object when the torrent loads.
func (p piece) Completion() storage.Completion {
	return storage.Completion{Ok: true, Complete: p.t.state[p.i].Load() != pieceDamaged}
}
