package swarm

import (
	"context"
	"errors"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/anacrolix/torrent/metainfo"
	"github.com/anacrolix/torrent/storage"

	"github.com/d3s/d3s/swarm/internal/verified"
)

// store is the engine's storage.ClientImpl. A stored object is served
// from its file, inline bytes or Concat parts (heldTorrent), each piece
// checked against its SHA-1 the first time the loaded torrent reads it: a
// damaged piece is never sent. A download in progress writes into a temp
// file and keeps its piece completion in memory until it is verified and
// committed; a crash discards it and a new Fetch starts over.
type store struct{ s *Swarm }

var errReadOnly = errors.New("swarm: stored objects are read-only")

// OpenTorrent implements storage.ClientImpl.
func (st store) OpenTorrent(ctx context.Context, info *metainfo.Info, ih metainfo.Hash) (storage.TorrentImpl, error) {
	id := ID(ih)
	if p := st.s.eng.fetching(id); p != nil {
		return storage.TorrentImpl{Piece: p.piece, Close: func() error { return nil }}, nil
	}
	l, err := st.s.openLayout(ctx, id)
	if err != nil {
		return storage.TorrentImpl{}, err
	}
	ht := &heldTorrent{src: *st.s.newSource(id, info.TotalLength(), info.PieceLength, info.Pieces),
		state: make([]atomic.Uint32, info.NumPieces())}
	ht.src.R = l
	piece := func(p metainfo.Piece) storage.PieceImpl { return heldPiece{t: ht, i: p.Index()} }
	return storage.TorrentImpl{Piece: piece, Close: func() error { closeLater(l); return nil }}, nil
}

// closeGrace is how long the files of a dropped torrent stay open.
// anacrolix/torrent v1.61.0 panics (peerconn.go, servePeerRequest) when a
// storage read for a peer request fails after its torrent was closed: the
// failure path returns early without forgetting the request. A peer
// request already being served when a torrent is unloaded, evicted or
// committed must therefore still read successfully; the engine closes the
// torrent's connections at once, so a grace of seconds is plenty. Seen
// once in about 20 benchmark processes before this.
const closeGrace = 30 * time.Second

// closeLater closes c after closeGrace.
func closeLater(c io.Closer) { time.AfterFunc(closeGrace, func() { c.Close() }) }

// Piece states of a heldTorrent.
const (
	pieceUnchecked = iota
	pieceGood
	pieceDamaged
)

// heldTorrent is a loaded torrent of a stored object. Every piece starts
// unchecked; the first read of a piece reads and hashes all of it, and
// the result holds while the torrent stays loaded, so a piece is hashed
// once per load however many peers fetch it.
type heldTorrent struct {
	src   verified.Source // its reader is the object's layout
	state []atomic.Uint32
	locks [16]sync.Mutex // by piece index: one check per piece at a time
}

// heldPiece is a piece of a stored object.
type heldPiece struct {
	t *heldTorrent
	i int
}

// ReadAt serves bytes of a piece that passed its check; a damaged piece
// fails with ErrCorrupt. The engine (anacrolix v1.61.0,
// peerRequestDataReadFailed) then asks Completion, learns the piece is
// gone and rejects the peer's request; a peer that asks again is
// disconnected ("peer requested piece we don't have"), and a new
// connection shows it this node's bitfield without the piece. A seeding
// torrent does not want the piece back, so nothing retries here.
func (p heldPiece) ReadAt(b []byte, off int64) (int, error) {
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
func (p heldPiece) check(b []byte, start, plen, off int64) (int, error) {
	mu := &p.t.locks[p.i%len(p.t.locks)]
	mu.Lock()
	defer mu.Unlock()
	if p.t.state[p.i].Load() != pieceUnchecked {
		return p.readChecked(b, start+off)
	}
	sp := p.t.src.Load(start, plen)
	defer sp.Release()
	if int64(len(sp.B)) < plen {
		if errors.Is(sp.Err, ErrCorrupt) {
			p.t.state[p.i].Store(pieceDamaged)
		}
		return 0, sp.Err
	}
	p.t.state[p.i].Store(pieceGood)
	return copy(b, sp.B[off:]), nil
}

// readChecked reads a checked piece.
func (p heldPiece) readChecked(b []byte, off int64) (int, error) {
	if p.t.state[p.i].Load() == pieceDamaged {
		return 0, p.damaged()
	}
	return p.t.src.R.ReadAt(b, off)
}

func (p heldPiece) damaged() error {
	return verified.CorruptErr(p.t.src.ID, int64(p.i), p.t.src.PieceLen, "found damaged earlier")
}

func (heldPiece) WriteAt([]byte, int64) (int, error) { return 0, errReadOnly }
func (heldPiece) MarkComplete() error                { return nil }
func (heldPiece) MarkNotComplete() error             { return errReadOnly }

// Completion reports every piece complete but a damaged one: checking
// here would read the whole object when the torrent loads.
func (p heldPiece) Completion() storage.Completion {
	return storage.Completion{Ok: true, Complete: p.t.state[p.i].Load() != pieceDamaged}
}

func (p *partial) piece(mp metainfo.Piece) storage.PieceImpl {
	return partialPiece{p: p, i: mp.Index(), off: mp.Offset(), len: mp.Length()}
}

type partialPiece struct {
	p        *partial
	i        int
	off, len int64
}

func (pp partialPiece) ReadAt(b []byte, off int64) (int, error) {
	return pp.p.f.ReadAt(b[:min(int64(len(b)), max(pp.len-off, 0))], pp.off+off)
}
func (pp partialPiece) WriteAt(b []byte, off int64) (int, error) {
	return pp.p.f.WriteAt(b[:min(int64(len(b)), max(pp.len-off, 0))], pp.off+off)
}
func (pp partialPiece) MarkComplete() error    { return pp.set(true) }
func (pp partialPiece) MarkNotComplete() error { return pp.set(false) }

func (pp partialPiece) set(v bool) error {
	pp.p.mu.Lock()
	defer pp.p.mu.Unlock()
	pp.p.done[pp.i] = v
	return nil
}

func (pp partialPiece) Completion() storage.Completion {
	pp.p.mu.Lock()
	defer pp.p.mu.Unlock()
	return storage.Completion{Ok: true, Complete: pp.p.done[pp.i]}
}
