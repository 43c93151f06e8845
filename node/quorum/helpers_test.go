package quorum

import (
	"crypto/ed25519"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"

	"github.com/d3s/d3s/dht"
	"github.com/d3s/d3s/dht/record"
	"github.com/d3s/d3s/internal/kv"
	"github.com/d3s/d3s/internal/lifetime"
)

func TestMain(m *testing.M) {
	// Members refuse lease grants for maxLeaseTTL after they start:
	// shortened so that the tests need not wait 15 s.
	maxLeaseTTL = 1500 * time.Millisecond
	os.Exit(m.Run())
}

// member is one node of a test network: a libp2p host on loopback, its
// database and its Quorum.
type member struct {
	id   peer.ID
	host *dht.Host
	db   *badger.DB
	life *lifetime.Group
	q    *Quorum

	mu   sync.Mutex
	view []peer.ID // what Config.Members returns; nil: every member
	all  []peer.ID
	down bool
}

// newNet starts n members that know each other's addresses, each
// Quorum with the given Timeout.
func newNet(t *testing.T, n int, timeout time.Duration) []*member {
	t.Helper()
	netKey := record.NetworkKey{7}
	ms := make([]*member, n)
	for i := range ms {
		ms[i] = newMember(t, netKey)
	}
	var ids []peer.ID
	for _, m := range ms {
		ids = append(ids, m.id)
	}
	for _, m := range ms {
		m.all = ids
		for _, o := range ms {
			if o != m {
				m.host.Peerstore().AddAddrs(o.id, o.host.Addrs(), time.Hour)
			}
		}
		m.q = m.newQuorum(timeout)
	}
	return ms
}

func newMember(t *testing.T, netKey record.NetworkKey) *member {
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
		ListenAddrs: []string{"/ip4/127.0.0.1/tcp/0"}, Protocols: []protocol.ID{Protocol}})
	if err != nil {
		t.Fatal(err)
	}
	m := &member{id: h.ID(), host: h, db: db}
	t.Cleanup(m.stop)
	m.life = lifetime.New()
	t.Cleanup(func() { stopLife(m.life) })
	return m
}

func stopLife(l *lifetime.Group) {
	l.Close()
	l.Cancel()
	l.Wait()
}

// newQuorum starts a Quorum on m's database and host (again, for a
// restart).
func (m *member) newQuorum(timeout time.Duration) *Quorum {
	q := New(Config{DB: m.db, Self: m.id, Members: m.members, Life: m.life, Timeout: timeout})
	q.Start(m.host)
	return q
}

func (m *member) members() []peer.ID {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.view != nil {
		return m.view
	}
	return m.all
}

// stop closes m's host: it answers nothing from now on.
func (m *member) stop() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.down {
		m.down = true
		m.host.Close()
	}
}

// signer is a user key pair that signs catalogue heads.
type signer struct {
	priv ed25519.PrivateKey
	akid string
}

func newSigner(t *testing.T) signer {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	return signer{priv: priv, akid: record.AccessKeyID(pub)}
}

func (s signer) key(bucket string) string { return record.CatalogHeadKey(s.akid, bucket) }

// head returns a signed catalogue head of bucket with sequence seq by
// writer.
func (s signer) head(bucket string, seq uint64, writer string) []byte {
	h := record.CatalogHead{
		Seq: seq, Bucket: bucket, Writer: writer,
		Time:       record.HLC{Wall: time.Now().UnixNano(), Logical: 1},
		SnapshotID: []byte("snapshot-1"),
	}
	h.Sign(s.priv)
	return h.Marshal()
}

// stored returns m's record of key straight from its database.
func (m *member) stored(t *testing.T, key string) []byte {
	t.Helper()
	a, err := m.q.get(key, nil)
	if err != nil {
		t.Fatal(err)
	}
	return a.record
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
