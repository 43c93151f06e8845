package dht

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/d3s/d3s/dht/record"
	"github.com/libp2p/go-libp2p/core/peer"
)

func TestPutOnOneNodeGetOnAnother(t *testing.T) {
	netKey := record.NetworkKey{7}
	nodes := startNetwork(t, 4, netKey)
	alice := newSigner(t)
	key := record.CatalogHeadKey(alice.akid, "photos")
	v1 := alice.head("photos", 1, "k1").Marshal()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	start := time.Now()
	if err := nodes[0].dht.Put(ctx, key, v1); err != nil {
		t.Fatalf("put on node 1: %v", err)
	}
	got, err := nodes[2].dht.Get(ctx, key)
	if err != nil || !bytes.Equal(got, v1) {
		t.Fatalf("get on node 3 = %d bytes, %v; want the record", len(got), err)
	}
	t.Logf("put + get across nodes: %v", time.Since(start))

	v2 := alice.head("photos", 2, "k1", "k2").Marshal()
	if err := nodes[1].dht.Put(ctx, key, v2); err != nil {
		t.Fatalf("put seq 2 on node 2: %v", err)
	}
	if got, err := nodes[3].dht.Get(ctx, key); err != nil || !bytes.Equal(got, v2) {
		t.Fatalf("get on node 4 after update: %v, want sequence 2", err)
	}
	if err := nodes[0].dht.Put(ctx, key, v1); !errors.Is(err, record.ErrStaleRecord) {
		t.Fatalf("re-put of sequence 1 = %v, want record.ErrStaleRecord", err)
	}
	if _, err := nodes[2].dht.Get(ctx, record.CatalogHeadKey(alice.akid, "nothing")); !errors.Is(err, ErrNotFound) {
		t.Fatalf("get of a missing key = %v, want ErrNotFound", err)
	}
}

func TestUserRecordAcrossNodes(t *testing.T) {
	netKey := record.NetworkKey{8}
	nodes := startNetwork(t, 3, netKey)
	rec, secret, err := record.NewUser("alice", netKey)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if err := nodes[0].dht.Put(ctx, record.UserKey(rec.AccessKeyID()), rec.Marshal()); err != nil {
		t.Fatalf("put user: %v", err)
	}
	val, err := nodes[2].dht.Get(ctx, record.UserKey(rec.AccessKeyID()))
	if err != nil {
		t.Fatalf("get user on node 3: %v", err)
	}
	got, err := record.UnmarshalUserRecord(val)
	if err != nil {
		t.Fatal(err)
	}
	if s, _, err := got.Open(netKey); err != nil || s != secret {
		t.Fatalf("node 3 cannot open the user's secret: %v", err)
	}
}

func TestForeignNetworkKeyRefused(t *testing.T) {
	nodes := startNetwork(t, 2, record.NetworkKey{1})
	stranger := startNode(t, t.TempDir(), record.NetworkKey{2})
	// A handshake under the wrong key can stall on garbage until the dial
	// times out, so the join attempt gets its own deadline.
	join, cancelJoin := context.WithTimeout(t.Context(), 2*time.Second)
	defer cancelJoin()
	if err := stranger.dht.Bootstrap(join, []peer.AddrInfo{nodes[0].info()}); err == nil {
		t.Fatal("a node with another network key joined the network")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if n := len(nodes[0].host.Network().Peers()); n != 1 {
		t.Fatalf("member has %d peers, want only the other member", n)
	}
	alice := newSigner(t)
	key := record.BucketsKey(alice.akid)
	if err := nodes[0].dht.Put(ctx, key, alice.list(1, "photos").Marshal()); err != nil {
		t.Fatal(err)
	}
	short, cancel2 := context.WithTimeout(ctx, time.Second)
	defer cancel2()
	if _, err := stranger.dht.Get(short, key); err == nil {
		t.Fatal("a node with another network key read a member's record")
	}
}

func TestRecordsSurviveRestart(t *testing.T) {
	netKey := record.NetworkKey{9}
	nodes := startNetwork(t, 2, netKey)
	writer, holder := nodes[0], nodes[1]
	alice := newSigner(t)
	key, val := record.BucketsKey(alice.akid), alice.list(3, "photos", "videos").Marshal()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := writer.dht.Put(ctx, key, val); err != nil {
		t.Fatal(err)
	}
	writer.close()
	holder.close()

	// Only the holder's badger has the record now; it restarts alone, and
	// a new node that joins through it reads the record.
	holder = startNode(t, holder.dir, netKey)
	reader := startNode(t, t.TempDir(), netKey, holder)
	got, err := reader.dht.Get(ctx, key)
	if err != nil || !bytes.Equal(got, val) {
		t.Fatalf("get after restart = %v, want the record", err)
	}
}

func TestRestartedNodeRejoinsWithoutToken(t *testing.T) {
	netKey := record.NetworkKey{10}
	nodes := startNetwork(t, 2, netKey)
	waitFor(t, 5*time.Second, "peer addresses stored", func() bool {
		known, err := nodes[1].host.KnownPeers()
		return err == nil && len(known) == 1 && known[0].ID == nodes[0].host.ID()
	})
	nodes[1].close()
	again := startNode(t, nodes[1].dir, netKey) // no bootstrap peers
	if again.dht.Kad().RoutingTable().Size() != 1 {
		t.Fatalf("restarted node has %d peers in its routing table, want 1", again.dht.Kad().RoutingTable().Size())
	}
}

func TestRepublishReachesLateJoiner(t *testing.T) {
	netKey := record.NetworkKey{11}
	first := startNode(t, t.TempDir(), netKey)
	alice := newSigner(t)
	key, val := record.BucketsKey(alice.akid), alice.list(1, "photos").Marshal()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := first.dht.Put(ctx, key, val); err != nil {
		t.Fatalf("put on a lone node: %v", err)
	}
	late := startNode(t, t.TempDir(), netKey, first)
	if n, failed := first.dht.Republish(ctx); n != 1 || failed != 0 {
		t.Fatalf("Republish = %d records, %d failed; want 1, 0", n, failed)
	}
	first.close()
	got, err := late.dht.Get(ctx, key)
	if err != nil || !bytes.Equal(got, val) {
		t.Fatalf("late joiner's get after the writer left = %v, want the record", err)
	}
}
