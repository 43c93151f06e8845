package p2p

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"

	"github.com/d3s/d3s/dht"
	"github.com/d3s/d3s/dht/record"
	"github.com/d3s/d3s/swarm"
)

var _ swarm.Transport = (*LateTransport)(nil)

// btMember is a libp2p host and a swarm on it.
type btMember struct {
	host  *dht.Host
	swarm *swarm.Swarm
}

// startBTMember starts a host on netKey's network and a swarm using the
// libp2p transport (or plain TCP when tcp is set).
func startBTMember(tb testing.TB, netKey record.NetworkKey, tcp bool) *btMember {
	tb.Helper()
	dir := tb.TempDir()
	db, err := badger.Open(swarm.BadgerOptions(filepath.Join(dir, "db")))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	key, err := dht.LoadOrCreateNodeKey(filepath.Join(dir, "node.key"))
	if err != nil {
		tb.Fatal(err)
	}
	h, err := dht.NewHost(dht.HostConfig{Key: key, NetworkKey: netKey, DB: db,
		ListenAddrs: []string{"/ip4/127.0.0.1/tcp/0"}, Protocols: []protocol.ID{BTProtocol}})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { h.Close() })
	cfg := swarm.Config{Dir: filepath.Join(dir, "objects"), DB: db}
	if !tcp {
		cfg.Transport = newSwarmTransport(h)
	}
	s, err := swarm.New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return &btMember{host: h, swarm: s}
}

// knows tells m how to reach o.
func (m *btMember) knows(o *btMember) {
	m.host.Peerstore().AddAddrs(o.host.ID(), o.host.Addrs(), time.Hour)
}

func (m *btMember) info() peer.AddrInfo { return peer.AddrInfo{ID: m.host.ID(), Addrs: m.host.Addrs()} }

func btBytes(seed uint64, n int) []byte {
	b := make([]byte, n)
	var k [32]byte
	binary.LittleEndian.PutUint64(k[:], seed)
	rand.NewChaCha8(k).Read(b)
	return b
}

// seedOn stores data on m, seeds it and returns its ID and metainfo.
func seedOn(tb testing.TB, m *btMember, data []byte) (swarm.ID, []byte) {
	tb.Helper()
	ctx := context.Background()
	obj, err := m.swarm.Put(ctx, bytes.NewReader(data), int64(len(data)), swarm.Expect{})
	if err != nil {
		tb.Fatal(err)
	}
	if err := m.swarm.Seed(ctx, obj.ID); err != nil {
		tb.Fatal(err)
	}
	mi, err := m.swarm.MetaInfo(ctx, obj.ID)
	if err != nil {
		tb.Fatal(err)
	}
	return obj.ID, mi
}

func readObject(tb testing.TB, s *swarm.Swarm, id swarm.ID) []byte {
	tb.Helper()
	r, err := s.Open(context.Background(), id)
	if err != nil {
		tb.Fatal(err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func TestSwarmOverLibp2p(t *testing.T) {
	var netKey record.NetworkKey
	netKey[0] = 1
	a, b := startBTMember(t, netKey, false), startBTMember(t, netKey, false)
	b.knows(a)
	if got, want := a.swarm.Self(), a.host.ID().String(); got != want {
		t.Fatalf("Self = %q, want the peer ID %q", got, want)
	}
	data := btBytes(1, 5<<20+77)
	id, mi := seedOn(t, a, data)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if _, err := b.swarm.Fetch(ctx, id, mi, []string{a.swarm.Self()}); err != nil {
		t.Fatalf("Fetch over libp2p: %v", err)
	}
	if !bytes.Equal(readObject(t, b.swarm, id), data) {
		t.Fatalf("fetched bytes differ")
	}

	// Streaming read of a second object, from the middle.
	data2 := btBytes(2, 3<<20)
	id2, mi2 := seedOn(t, a, data2)
	r, err := b.swarm.OpenRemote(ctx, id2, mi2, []string{a.swarm.Self()})
	if err != nil {
		t.Fatalf("OpenRemote: %v", err)
	}
	defer r.Close()
	if _, err := r.Seek(1<<20, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, 4096)
	if _, err := io.ReadFull(r, got); err != nil || !bytes.Equal(got, data2[1<<20:1<<20+4096]) {
		t.Fatalf("range over libp2p: %v, equal %v", err, bytes.Equal(got, data2[1<<20:1<<20+4096]))
	}
}

func TestSwarmOverLibp2pRefusesOutsiders(t *testing.T) {
	var member, outsider record.NetworkKey
	member[0], outsider[0] = 1, 2
	a, c := startBTMember(t, member, false), startBTMember(t, outsider, false)
	c.knows(a)
	id, mi := seedOn(t, a, btBytes(3, 1<<20))
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
	defer cancel()
	if _, err := c.swarm.Fetch(ctx, id, mi, []string{a.swarm.Self()}); err == nil {
		t.Fatalf("a node with another network key fetched object data")
	}
}

// BenchmarkFetch256MiB measures a 256 MiB download from one peer over
// plain TCP and over libp2p streams on the private network (PSK, Noise,
// yamux): the cost of authenticated transport.
func BenchmarkFetch256MiB(b *testing.B) {
	data := btBytes(4, 256<<20)
	for _, bc := range []struct {
		name string
		tcp  bool
	}{{"tcp", true}, {"libp2p", false}} {
		b.Run(bc.name, func(b *testing.B) {
			netKey := record.NetworkKey{1}
			src, dst := startBTMember(b, netKey, bc.tcp), startBTMember(b, netKey, bc.tcp)
			dst.knows(src)
			if err := dst.host.Connect(context.Background(), src.info()); err != nil {
				b.Fatal(err)
			}
			id, mi := seedOn(b, src, data)
			peer := src.swarm.Self()
			if bc.tcp {
				peer = src.swarm.Addr().String()
			}
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if _, err := dst.swarm.Fetch(context.Background(), id, mi, []string{peer}); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				if err := dst.swarm.Release(context.Background(), id); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
			b.ReportMetric(float64(b.N)*float64(len(data))/(1<<20)/b.Elapsed().Seconds(), "MiB/s")
		})
	}
}
