package catalognet

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"

	"github.com/d3s/d3s/dht"
	"github.com/d3s/d3s/dht/record"
	"github.com/d3s/d3s/internal/kv"
	"github.com/d3s/d3s/swarm"
)

// member is what a node gives its blob store: a database, a swarm and a
// libp2p host on a private network.
type member struct {
	host  *dht.Host
	swarm *swarm.Swarm
	blobs *Blobs
}

// startMember starts a member on netKey's network, listening on
// loopback; its blob store serves until the test ends.
func startMember(t *testing.T, netKey record.NetworkKey) *member {
	t.Helper()
	dir := t.TempDir()
	db, err := kv.Open(filepath.Join(dir, "db"), nil, false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	key, err := dht.LoadOrCreateNodeKey(filepath.Join(dir, "node.key"))
	if err != nil {
		t.Fatal(err)
	}
	h, err := dht.NewHost(dht.HostConfig{Key: key, NetworkKey: netKey, DB: db,
		ListenAddrs: []string{"/ip4/127.0.0.1/tcp/0"}, Protocols: []protocol.ID{BlobProtocol}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	s, err := swarm.New(swarm.Config{Dir: filepath.Join(dir, "objects"), DB: db})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return &member{host: h, swarm: s, blobs: NewBlobs(t.Context(), db, s, h, nil)}
}

// connect connects m to o and checks that o is among m's peers.
func (m *member) connect(t *testing.T, o *member) {
	t.Helper()
	if err := m.host.Connect(t.Context(), peer.AddrInfo{ID: o.host.ID(), Addrs: o.host.Addrs()}); err != nil {
		t.Fatalf("connect: %v", err)
	}
	if !slices.Contains(m.host.Network().Peers(), o.host.ID()) {
		t.Fatal("not connected after Connect")
	}
}

// TestBlobProtocol: a blob put on one member is fetched by another over
// BlobProtocol whoever the caller names as its writer, and a blob nobody
// holds is ErrBlobNotFound.
func TestBlobProtocol(t *testing.T) {
	netKey := record.NetworkKey{1}
	m1, m2 := startMember(t, netKey), startMember(t, netKey)
	m2.connect(t, m1)
	data := []byte(strings.Repeat("snapshot bytes ", 1000))
	id, err := m1.blobs.PutBlob(t.Context(), data)
	if sum := sha256.Sum256(data); err != nil || string(id) != string(sum[:]) {
		t.Fatalf("PutBlob = %x, %v", id, err)
	}
	for _, from := range []string{m1.host.ID().String(), "", "not-a-peer-id", m2.host.ID().String()} {
		got, err := m2.blobs.GetBlob(t.Context(), id, from)
		if err != nil || string(got) != string(data) {
			t.Fatalf("GetBlob(from %q) = %d bytes, %v", from, len(got), err)
		}
	}
	missing := sha256.Sum256([]byte("nobody has this"))
	if _, err := m2.blobs.GetBlob(t.Context(), missing[:], m1.host.ID().String()); !errors.Is(err, ErrBlobNotFound) {
		t.Errorf("GetBlob of a missing blob: %v", err)
	}
	if _, err := peer.Decode(m1.host.ID().String()); err != nil {
		t.Fatal(err)
	}
}

// TestReleaseBlob: a released snapshot blob is gone from this node (its
// swarm reference dropped), and releasing a blob not held is no error.
func TestReleaseBlob(t *testing.T) {
	m := startMember(t, record.NetworkKey{1})
	data := bytes.Repeat([]byte("run bytes "), 1000)
	id, err := m.blobs.PutBlob(t.Context(), data)
	if err != nil {
		t.Fatal(err)
	}
	sid, held, err := m.blobs.local(t.Context(), id)
	if err != nil || !held {
		t.Fatalf("blob not held after PutBlob: %v", err)
	}
	for range 2 {
		if err := m.blobs.ReleaseBlob(t.Context(), id); err != nil {
			t.Fatalf("ReleaseBlob: %v", err)
		}
	}
	if _, ok, err := m.blobs.read(t.Context(), id); ok || err != nil {
		t.Fatalf("released blob still readable (%t, %v)", ok, err)
	}
	if _, err := m.swarm.Open(t.Context(), sid); !errors.Is(err, swarm.ErrNotFound) {
		t.Fatalf("swarm still holds the released blob: %v", err)
	}
}

// TestPlacedBlobServedByHolder: a placed blob (SHA-256 + infohash) put on
// one member is replicated before PutBlob returns, and another member
// fetches it from that holder, which keeps it as a plain replica (no
// index entry), after the writer is gone.
func TestPlacedBlobServedByHolder(t *testing.T) {
	netKey := record.NetworkKey{2}
	writer, holder, reader := startMember(t, netKey), startMember(t, netKey), startMember(t, netKey)
	writer.connect(t, holder)
	reader.connect(t, holder)
	data := bytes.Repeat([]byte("placed run "), 2000)
	replicated := false
	writer.blobs.Attach(Network{
		Holders: func(context.Context, swarm.ID) []peer.ID { return []peer.ID{holder.host.ID()} },
		Alone:   func() bool { return false },
		Replicate: func(ctx context.Context, id swarm.ID, size int64) error {
			obj, err := holder.swarm.Put(ctx, bytes.NewReader(data), size, swarm.Expect{})
			replicated = err == nil && obj.ID == id
			return err
		},
	})
	reader.blobs.Attach(Network{Holders: func(context.Context, swarm.ID) []peer.ID { return []peer.ID{holder.host.ID()} }})
	id, err := writer.blobs.PutBlob(t.Context(), data)
	if err != nil || !replicated {
		t.Fatalf("PutBlob = %x, %v (replicated %t)", id, err, replicated)
	}
	sid, ok := BlobObject(id)
	if sum := sha256.Sum256(data); !ok || !bytes.Equal(id[:32], sum[:]) {
		t.Fatalf("PutBlob returned %x, want SHA-256 + infohash", id)
	}
	if _, indexed, _ := holder.blobs.indexed(id[:32]); indexed {
		t.Fatal("the holder's copy is indexed: the test would not show serving by infohash")
	}
	writer.host.Close()
	got, err := reader.blobs.GetBlob(t.Context(), id, writer.host.ID().String())
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("GetBlob from the holder = %d bytes, %v", len(got), err)
	}
	if _, err := holder.swarm.Stat(t.Context(), sid); err != nil {
		t.Fatalf("holder lost its replica: %v", err)
	}
}

// TestPlacedBlobRefusedAlone: with other members known but none
// connected, PutBlob fails rather than return an ID only this node holds.
func TestPlacedBlobRefusedAlone(t *testing.T) {
	m := startMember(t, record.NetworkKey{3})
	m.blobs.Attach(Network{
		Holders:   func(context.Context, swarm.ID) []peer.ID { return []peer.ID{m.host.ID()} },
		Alone:     func() bool { return true },
		Replicate: func(context.Context, swarm.ID, int64) error { return nil },
	})
	if _, err := m.blobs.PutBlob(t.Context(), []byte("run")); !errors.Is(err, ErrTooFewHolders) {
		t.Fatalf("PutBlob alone = %v, want ErrTooFewHolders", err)
	}
}
