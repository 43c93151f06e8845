package swarm

import (
	"context"
	"errors"

	"github.com/anacrolix/torrent/metainfo"
	"github.com/anacrolix/torrent/storage"
)

// store is the engine's storage.ClientImpl. A stored object is served
// straight from its file, inline bytes or Concat parts, every piece
// complete: its record is only committed once all pieces are hashed (Put,
// Concat) or verified (Fetch). A download in progress writes into a temp
// file and keeps its piece completion in memory until it is verified and
// committed; a crash discards it and a new Fetch starts over.
type store struct{ s *Swarm }

var errReadOnly = errors.New("swarm: stored objects are read-only")

// OpenTorrent implements storage.ClientImpl.
func (st store) OpenTorrent(ctx context.Context, _ *metainfo.Info, ih metainfo.Hash) (storage.TorrentImpl, error) {
	id := ID(ih)
	if p := st.s.fetching(id); p != nil {
		return storage.TorrentImpl{Piece: p.piece, Close: func() error { return nil }}, nil
	}
	l, err := st.s.openLayout(ctx, id)
	if err != nil {
		return storage.TorrentImpl{}, err
	}
	piece := func(p metainfo.Piece) storage.PieceImpl {
		return heldPiece{l: l, off: p.Offset(), len: p.Length()}
	}
	return storage.TorrentImpl{Piece: piece, Close: l.Close}, nil
}

// heldPiece is a piece of a stored object.
type heldPiece struct {
	l        *layout
	off, len int64
}

func (p heldPiece) ReadAt(b []byte, off int64) (int, error) {
	return p.l.ReadAt(b[:min(int64(len(b)), max(p.len-off, 0))], p.off+off)
}
func (heldPiece) WriteAt([]byte, int64) (int, error) { return 0, errReadOnly }
func (heldPiece) MarkComplete() error                { return nil }
func (heldPiece) MarkNotComplete() error             { return errReadOnly }
func (heldPiece) Completion() storage.Completion {
	return storage.Completion{Ok: true, Complete: true}
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

// fetching returns the download in progress for id, if any.
func (s *Swarm) fetching(id ID) *partial {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fetches[id]
}
