package swarm

import (
	"context"
	"io"
	"time"

	"github.com/anacrolix/torrent/metainfo"
	"github.com/anacrolix/torrent/storage"

	"github.com/d3s/d3s/swarm/internal/held"
)

// store is the engine's storage.ClientImpl. A stored object is served
// from its file, inline bytes or Concat parts (swarm/internal/held), each piece
// checked against its SHA-1 the first time the loaded torrent reads it: a
// damaged piece is never sent. A download in progress writes into a temp
// file and keeps its piece completion in memory until it is verified and
// committed; a crash discards it and a new Fetch starts over.
type store struct{ s *Swarm }

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
	src := st.s.newSource(id, info.TotalLength(), info.PieceLength, info.Pieces)
	src.R = l
	ht := held.New(src, info.NumPieces())
	piece := func(p metainfo.Piece) storage.PieceImpl { return ht.Piece(p.Index()) }
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
