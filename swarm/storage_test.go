package swarm

import (
	"bytes"
	"context"
	"testing"

	"github.com/anacrolix/torrent/metainfo"
)

// TestStorageReadsAfterClose checks that a closed torrent's storage still
// reads: anacrolix/torrent v1.61.0 panics when a read serving a peer
// request fails after the torrent closed (closeGrace).
func TestStorageReadsAfterClose(t *testing.T) {
	s := newSwarm(t)
	data := randBytes(11, 1<<20)
	obj := mustPut(t, s, data)
	mi, err := s.MetaInfo(t.Context(), obj.ID)
	if err != nil {
		t.Fatal(err)
	}
	m, err := metainfo.Load(bytes.NewReader(mi))
	if err != nil {
		t.Fatal(err)
	}
	info, err := m.UnmarshalInfo()
	if err != nil {
		t.Fatal(err)
	}
	ti, err := store{s.Swarm}.OpenTorrent(context.Background(), &info, metainfo.Hash(obj.ID))
	if err != nil {
		t.Fatal(err)
	}
	if err := ti.Close(); err != nil {
		t.Fatal(err)
	}
	p := ti.Piece(info.Piece(1))
	chunk := make([]byte, 16<<10)
	n, err := p.ReadAt(chunk, 0)
	if err != nil || n != len(chunk) || !bytes.Equal(chunk, data[obj.PieceLength:obj.PieceLength+int64(n)]) {
		t.Fatalf("read after Close: %d bytes, %v; want the piece's first %d bytes", n, err, len(chunk))
	}
}
