package catalog

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/d3s/d3s/dht/record"
)

// memRecords is an offline validating record store, like boxo's
// routing/offline: every value is validated with D3S's validator and the
// store keeps, per key, the record its Select prefers.
type memRecords struct {
	v record.Validator

	mu       sync.Mutex
	m        map[string][]byte
	failPuts int           // the next failPuts PutRecord calls fail
	block    chan struct{} // when set, GetRecord waits for it or ctx
	puts     int
}

func newMemRecords() *memRecords {
	return &memRecords{v: record.Validator{}, m: make(map[string][]byte)}
}

var errInjected = errors.New("injected put failure")

func (r *memRecords) PutRecord(ctx context.Context, key string, value []byte) error {
	if err := r.v.Validate(key, value); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.failPuts > 0 {
		r.failPuts--
		return errInjected
	}
	r.puts++
	if old, ok := r.m[key]; ok {
		i, err := r.v.Select(key, [][]byte{old, value})
		if err != nil {
			return err
		}
		if i == 0 {
			return fmt.Errorf("put %s: %w", key, record.ErrStaleRecord)
		}
	}
	r.m[key] = append([]byte(nil), value...)
	return nil
}

func (r *memRecords) GetRecord(ctx context.Context, key string) ([]byte, error) {
	r.mu.Lock()
	block := r.block
	r.mu.Unlock()
	if block != nil {
		select {
		case <-block:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	v, ok := r.m[key]
	if !ok {
		return nil, fmt.Errorf("get %s: %w", key, ErrNoRecord)
	}
	return append([]byte(nil), v...), nil
}

// setBlock makes GetRecord hang (true) or answer again (false).
func (r *memRecords) setBlock(on bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if on && r.block == nil {
		r.block = make(chan struct{})
	}
	if !on && r.block != nil {
		close(r.block)
		r.block = nil
	}
}

func (r *memRecords) failNext(n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failPuts = n
}

func (r *memRecords) head(t testing.TB, user, bucket string) record.CatalogHead {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	h, err := record.UnmarshalCatalogHead(r.m[record.CatalogHeadKey(user, bucket)])
	if err != nil {
		t.Fatalf("head of %s: %v", bucket, err)
	}
	return h
}

// memBlobs is an in-memory content-addressed blob store shared by the
// nodes of a test network; it counts the bytes stored and the releases.
type memBlobs struct {
	mu       sync.Mutex
	m        map[string][]byte
	written  int64           // bytes passed to PutBlob
	released map[string]int  // ReleaseBlob calls per ID
	dropped  map[string]bool // IDs released while held
	// suffix is appended to the IDs PutBlob returns (as a node's store
	// appends the infohash); blobs are found by their SHA-256.
	suffix []byte
}

// cutBlobs is one node's view of a memBlobs whose GetBlob fails while
// off is set, as when every holder of the blobs is down.
type cutBlobs struct {
	*memBlobs
	off atomic.Bool
}

func (b *cutBlobs) GetBlob(ctx context.Context, id []byte, from string) ([]byte, error) {
	if b.off.Load() {
		return nil, fmt.Errorf("blob %x: %w", id, errInjected)
	}
	return b.memBlobs.GetBlob(ctx, id, from)
}

// blobKey is the map key of a blob ID: its SHA-256, hex.
func blobKey(id []byte) string { return hex.EncodeToString(id[:min(len(id), sha256.Size)]) }

func (b *memBlobs) PutBlob(ctx context.Context, data []byte) ([]byte, error) {
	sum := sha256.Sum256(data)
	b.mu.Lock()
	defer b.mu.Unlock()
	b.written += int64(len(data))
	b.m[blobKey(sum[:])] = append([]byte(nil), data...)
	return append(sum[:], b.suffix...), nil
}

// ReleaseBlob forgets the blob: the fake is shared by every node of a
// test network, so a release by any node makes it unreadable, which is
// what the tests of the release rules need to see.
func (b *memBlobs) ReleaseBlob(ctx context.Context, id []byte) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	key := blobKey(id)
	if b.released == nil {
		b.released, b.dropped = make(map[string]int), make(map[string]bool)
	}
	b.released[key]++
	if _, ok := b.m[key]; ok {
		b.dropped[key] = true
		delete(b.m, key)
	}
	return nil
}

// stats returns the bytes written and the blobs held.
func (b *memBlobs) stats() (written int64, held int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.written, len(b.m)
}

func (b *memBlobs) GetBlob(ctx context.Context, id []byte, from string) ([]byte, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	d, ok := b.m[blobKey(id)]
	if !ok {
		return nil, fmt.Errorf("blob %x: not found", id)
	}
	return d, nil
}

// keySigner hands out the one test user's key.
type keySigner struct{ priv ed25519.PrivateKey }

func (s keySigner) UserKey(ctx context.Context, akid string) (ed25519.PrivateKey, error) {
	if akid != record.AccessKeyID(s.priv.Public().(ed25519.PublicKey)) {
		return nil, fmt.Errorf("user %s: unknown", akid)
	}
	return s.priv, nil
}

// testNet is a network of catalogues sharing one record and blob store,
// with one user.
type testNet struct {
	recs   *memRecords
	blobs  *memBlobs
	signer keySigner
	user   string
}

func newNet(t testing.TB) *testNet {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &testNet{
		recs:   newMemRecords(),
		blobs:  &memBlobs{m: make(map[string][]byte)},
		signer: keySigner{priv},
		user:   record.AccessKeyID(pub),
	}
}

// syncConfig is the test configuration: short staleness so that waits
// stay short.
func (n *testNet) syncConfig(id string) SyncConfig {
	return SyncConfig{
		Records: n.recs, Blobs: n.blobs, Signer: n.signer, NodeID: id,
		Staleness: 20 * time.Millisecond, RefreshWait: 5 * time.Second,
		Settle: 30 * time.Millisecond,
	}
}

// start opens a catalogue over db and starts its sync; it stops at
// cleanup, before the database closes.
func (n *testNet) start(t testing.TB, db *badger.DB, cfg SyncConfig) *Catalog {
	t.Helper()
	return n.startWith(t, Config{DB: db, NodeID: cfg.NodeID}, cfg)
}

// startWith is start with a catalogue configuration of the test's own.
func (n *testNet) startWith(t testing.TB, ccfg Config, cfg SyncConfig) *Catalog {
	t.Helper()
	c, err := New(ccfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := c.StartSync(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); c.Wait() })
	return c
}

// node starts a catalogue over a fresh database.
func (n *testNet) node(t testing.TB, id string) *Catalog {
	t.Helper()
	return n.start(t, openDB(t, t.TempDir()), n.syncConfig(id))
}
