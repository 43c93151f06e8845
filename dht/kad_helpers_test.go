package dht

import (
	"context"
	"crypto/ed25519"
	"path/filepath"
	"testing"
	"time"

	"github.com/d3s/d3s/dht/record"
	"github.com/dgraph-io/badger/v4"
	"github.com/libp2p/go-libp2p/core/peer"
)

// openTestDB opens a small badger database in dir, closed at cleanup
// unless the test closes it first.
func openTestDB(t testing.TB, dir string) *badger.DB {
	t.Helper()
	opts := badger.DefaultOptions(dir).WithLogger(nil).WithMemTableSize(8 << 20).WithValueThreshold(64 << 10).WithBaseTableSize(2 << 20).
		WithNumMemtables(1).WithBlockCacheSize(4 << 20).WithIndexCacheSize(2 << 20).
		WithValueLogFileSize(16 << 20).WithNumCompactors(2).WithMetricsEnabled(false)
	db, err := badger.Open(opts)
	if err != nil {
		t.Fatalf("open badger: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// testNode is one node of an in-process network on loopback.
type testNode struct {
	dir  string
	db   *badger.DB
	host *Host
	dht  *DHT
}

// startNode starts a node with its state in dir, on the network of netKey,
// bootstrapping from peers. The node is closed at cleanup.
func startNode(t testing.TB, dir string, netKey record.NetworkKey, peers ...*testNode) *testNode {
	t.Helper()
	key, err := LoadOrCreateNodeKey(filepath.Join(dir, "node.key"))
	if err != nil {
		t.Fatal(err)
	}
	n := &testNode{dir: dir, db: openTestDB(t, filepath.Join(dir, "db"))}
	n.host, err = NewHost(HostConfig{Key: key, NetworkKey: netKey, DB: n.db, ListenAddrs: []string{"/ip4/127.0.0.1/tcp/0"}})
	if err != nil {
		t.Fatalf("new host: %v", err)
	}
	cfg := Config{Host: n.host, DB: n.db, RepublishInterval: -1}
	for _, p := range peers {
		cfg.BootstrapPeers = append(cfg.BootstrapPeers, p.info())
	}
	if n.dht, err = New(cfg); err != nil {
		n.host.Close()
		t.Fatalf("new dht: %v", err)
	}
	n.dht.Start(t.Context())
	t.Cleanup(n.close)
	return n
}

func (n *testNode) info() peer.AddrInfo {
	return peer.AddrInfo{ID: n.host.ID(), Addrs: n.host.Addrs()}
}

// close stops the node; it may be called more than once.
func (n *testNode) close() {
	if n.dht == nil {
		return
	}
	n.dht.Close()
	n.host.Close()
	n.db.Close()
	n.dht = nil
}

// startNetwork starts n nodes, each bootstrapping from the first, and waits
// until every routing table holds every other node.
func startNetwork(t testing.TB, n int, netKey record.NetworkKey) []*testNode {
	t.Helper()
	nodes := []*testNode{startNode(t, t.TempDir(), netKey)}
	for i := 1; i < n; i++ {
		nodes = append(nodes, startNode(t, t.TempDir(), netKey, nodes[0]))
	}
	waitFor(t, 5*time.Second, "full routing tables", func() bool {
		for _, nd := range nodes {
			if nd.dht.Kad().RoutingTable().Size() < n-1 {
				return false
			}
		}
		return true
	})
	return nodes
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), d)
	defer cancel()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("timed out after %v waiting for %s", d, what)
		case <-tick.C:
		}
	}
}

// signer is a user key pair for signing records.
type signer struct {
	pub  ed25519.PublicKey
	priv ed25519.PrivateKey
	akid string
}

func newSigner(t testing.TB) signer {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	return signer{pub: pub, priv: priv, akid: record.AccessKeyID(pub)}
}

// head returns a signed catalogue head of bucket with sequence seq.
func (u signer) head(bucket string, seq uint64, entries ...string) record.CatalogHead {
	h := record.CatalogHead{
		Seq: seq, Bucket: bucket, Writer: "node-a",
		Time:       record.HLC{Wall: time.Now().UnixNano(), Logical: 1},
		SnapshotID: []byte("snapshot-1"),
	}
	for _, e := range entries {
		h.Entries = append(h.Entries, []byte(e))
	}
	h.Sign(u.priv)
	return h
}

// list returns a signed bucket list with sequence seq.
func (u signer) list(seq uint64, names ...string) record.BucketListRecord {
	r := record.BucketListRecord{Seq: seq}
	for i, n := range names {
		r.Buckets = append(r.Buckets, record.BucketListEntry{Name: n, Created: record.HLC{Wall: int64(1000 + i)}})
	}
	r.Sign(u.priv)
	return r
}
