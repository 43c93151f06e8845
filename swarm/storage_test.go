package swarm

import (
	"bytes"
	"context"
	"io"
	"testing"
	"time"

	"github.com/anacrolix/torrent/metainfo"
)

// TestStorageReadsAfterClose checks that a closed torrent's storage still
// reads: anacrolix/torrent v1.61.0 panics when a read serving a peer
// request fails after the torrent closed (closeGrace).
func TestStorageReadsAfterClose(t *testing.T) {
	s := newSwarm(t)
	data := randBytes(11, 1<<20)
	obj := mustPut(t, s, data)
	info := loadInfo(t, s.Swarm, obj.ID)
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

// TestUnseedSparesDownload checks that unloading an ID (Unseed, Evict,
// Release all end in unload) does not drop the torrent of a download its
// readers are using: they would fail with "torrent closed".
func TestUnseedSparesDownload(t *testing.T) {
	a, b := newSwarm(t), newSwarm(t)
	data := randBytes(12, 8<<20)
	id, mi := seeded(t, a, data)
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	r, err := b.OpenRemote(ctx, id, mi, []string{a.Self()})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	half := make([]byte, len(data)/2)
	if _, err := io.ReadFull(r, half); err != nil {
		t.Fatalf("first half: %v", err)
	}
	if err := b.Unseed(ctx, id); err != nil {
		t.Fatal(err)
	}
	rest, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("read after Unseed: %v", err)
	}
	if !bytes.Equal(append(half, rest...), data) {
		t.Fatal("bytes differ")
	}
}

// loadInfo returns the info dictionary of a stored object.
func loadInfo(t testing.TB, s *Swarm, id ID) metainfo.Info {
	t.Helper()
	mi, err := s.MetaInfo(t.Context(), id)
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
	return info
}
