package catalog

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/d3s/d3s/catalog/internal/store"
	"github.com/d3s/d3s/dht/record"
)

// Records is the signed-record store the catalogue publishes to: the DHT in
// a node (*dht.DHT adapted by node), an offline validating store in tests.
type Records interface {
	// GetRecord returns the best record under key, or an error wrapping
	// ErrNoRecord when there is none.
	GetRecord(ctx context.Context, key string) ([]byte, error)
	// PutRecord stores value under key; a nil error means some member holds it.
	PutRecord(ctx context.Context, key string, value []byte) error
}

// Blobs stores and fetches immutable, content-addressed snapshot blobs
// (manifests and runs, doc.go).
type Blobs interface {
	// PutBlob stores data durably and returns its ID: the SHA-256 of
	// data, possibly followed by up to 32 bytes the store needs to find
	// the blob again (kept opaquely in manifests and heads). In a network
	// it returns only once the blob is durable on enough members that
	// publishing a head referencing it is safe.
	PutBlob(ctx context.Context, data []byte) (id []byte, err error)
	// GetBlob returns the blob with id, fetching it from the network if it is
	// not local; from is a hint (the node ID that wrote the head).
	GetBlob(ctx context.Context, id []byte, from string) ([]byte, error)
	// ReleaseBlob drops this node's copy of the blob with id, which the
	// catalogue no longer references (it stored or fetched it before); a
	// blob not held is no error.
	ReleaseBlob(ctx context.Context, id []byte) error
}

// Signer opens a user's private key so that any member node can sign that
// user's records.
type Signer interface {
	UserKey(ctx context.Context, accessKeyID string) (ed25519.PrivateKey, error)
}

// Defaults of SyncConfig.
const (
	DefaultStaleness   = time.Second
	DefaultMaxRecent   = 512
	DefaultRefreshWait = time.Second
	DefaultBatchDelay  = 5 * time.Millisecond
	DefaultSettle      = time.Second
	DefaultBlobGrace   = 30 * time.Second
	// DefaultVerifyInterval: a partition that lost this node's writes is
	// repaired within about 30 s of healing for buckets written in the
	// last hour, at one DHT get per such bucket per 30 s.
	DefaultVerifyInterval = 30 * time.Second
)

// SyncConfig turns a local catalogue into a network one.
type SyncConfig struct {
	Records Records
	// Quorum, when set, runs the catalogue in strong mode: its records
	// go through it instead of Records, a write's outbox entry leaves
	// once a majority accepted a record holding it (AwaitPublished),
	// and Refresh merges what a majority holds before it returns.
	Quorum Quorum
	Blobs  Blobs
	Signer Signer
	// NodeID is this node's peer ID string, the writer id in entries and heads.
	NodeID string
	// Staleness is how old a cached head may be before a read revalidates
	// it; DefaultStaleness when zero.
	Staleness time.Duration
	// MaxRecent is how many entries a head carries before a snapshot is
	// cut; DefaultMaxRecent when zero.
	MaxRecent int
	// RefreshWait bounds how long Refresh waits for the network before it
	// serves the cache (the fetch goes on in the background);
	// DefaultRefreshWait when zero.
	RefreshWait time.Duration
	// BatchDelay is how long a publisher waits after the first unpublished
	// write so that a burst of writes goes out in one head;
	// DefaultBatchDelay when zero.
	BatchDelay time.Duration
	// Settle is how long a record of ours must stay the published one
	// before the outbox entries it carries are dropped: a writer that read
	// the previous record before our put may still displace ours with an
	// equal sequence number (Select then prefers the later time), and
	// its record lacks our entries. DefaultSettle when zero.
	Settle time.Duration
	// BlobGrace is how long a snapshot blob stays held after the
	// manifest merged for its bucket stopped listing it, so that readers
	// of the superseded head can still fetch it; DefaultBlobGrace when
	// zero, at least 2 x Settle.
	BlobGrace time.Duration
	// VerifyInterval is how often a bucket this node wrote to in the last
	// hour is revalidated even when nobody reads it, so that a head that
	// lost its writes (a healed partition) is noticed and the writes
	// republished; buckets written longer ago are checked less often,
	// down to hourly, until their last write is older than TombstoneTTL.
	// DefaultVerifyInterval when zero.
	VerifyInterval time.Duration
	// OnReplaced, when set, is called with every object version (never a
	// delete marker) that a merge or purge removed from the local index:
	// replaced by a newer remote version or delete marker, or purged
	// with its deleted bucket, after the removal is durable. Versions
	// replaced by this node's own Put, Delete or CompleteUpload are
	// returned by those calls instead. Only the caller knows whether it
	// holds a reference on the version's bytes (in a node: the versions
	// its own writes created, Entry.Writer == NodeID).
	OnReplaced func(old *Entry)
	Logger     *slog.Logger
}

// withDefaults checks cfg and fills in its defaults.
func (cfg SyncConfig) withDefaults() (SyncConfig, error) {
	if cfg.Records == nil || cfg.Blobs == nil || cfg.Signer == nil || cfg.NodeID == "" {
		return cfg, errors.New("catalog: sync needs Records, Blobs, Signer and NodeID")
	}
	if cfg.Staleness <= 0 {
		cfg.Staleness = DefaultStaleness
	}
	if cfg.MaxRecent <= 0 {
		cfg.MaxRecent = DefaultMaxRecent
	}
	if cfg.RefreshWait <= 0 {
		cfg.RefreshWait = DefaultRefreshWait
	}
	if cfg.BatchDelay <= 0 && cfg.Quorum == nil {
		// Strong mode waits for nothing: writes that arrive while a
		// round is out go together in the next one.
		cfg.BatchDelay = DefaultBatchDelay
	}
	if cfg.Settle <= 0 {
		cfg.Settle = DefaultSettle
	}
	if cfg.BlobGrace <= 0 {
		cfg.BlobGrace = DefaultBlobGrace
	}
	if cfg.VerifyInterval <= 0 {
		cfg.VerifyInterval = DefaultVerifyInterval
	}
	cfg.BlobGrace = max(cfg.BlobGrace, 2*cfg.Settle)
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return cfg, nil
}

// bkey names a bucket's catalogue; bucket "" is the user's bucket list.
type bkey = store.Key

// bstate is the sync state of one bkey. work serialises the pulls and
// publish rounds of the key; the other fields are guarded by syncer.mu.
type bstate struct {
	work       sync.Mutex
	checked    time.Time     // last revalidation against the network
	used       time.Time     // last Refresh, for the background loop
	inflight   chan struct{} // closed when the running fetch ends
	dirty      bool          // written since the publisher last looked
	publishing bool          // a publisher goroutine runs for the key
	ours       *published    // our last record, not yet settled; under work
	// settled: this node's index holds the newest head it has seen of
	// the bucket; behind: a head was seen that could not be merged
	// (available.go), cause why; warned: when that was last logged.
	settled, behind bool
	cause           error
	warned          time.Time
	// Strong mode (strong.go), under work: over lists the records the
	// members may hold that the index has merged (the next swap may
	// replace them); extra and extraFrontier, what the next head must
	// add for it to contain them all. strongRead, under syncer.mu, is
	// the majority read running or last run.
	over          [][]byte
	overSeq       uint64 // the highest sequence in over
	extra         map[string]*Entry
	extraFrontier []record.FrontierMark
	strongRead    *strongRead
	noQuorum      bool // the last strong read or swap found no majority
	// built counts the records this node started building for the key,
	// swapped the number of the last one a majority accepted (strong
	// mode, under syncer.mu): a write made before build n started is in
	// record n or in a newer write of the same key that replaced it.
	built, swapped uint64
}

// published is a record of ours that the store kept, waiting to settle.
type published struct {
	raw     []byte
	at      time.Time
	entries map[string]*Entry // the outbox entries it carries, by key
}

// syncer publishes and refreshes a Catalog's buckets.
type syncer struct {
	c   *Catalog
	st  *store.Store // c's
	cfg SyncConfig
	ctx context.Context
	log *slog.Logger
	wg  sync.WaitGroup

	mu      sync.Mutex
	keys    map[bkey]*bstate
	changed chan struct{} // closed and replaced when the outbox shrinks
	signers map[string]ed25519.PrivateKey
	// watch holds the marks (frontier.go) of the buckets this node wrote
	// to within TombstoneTTL, which the refresh loop revalidates.
	watch map[bkey]Time
}

// StartSync starts the publish and refresh loops on ctx; without it the
// catalogue stays local (single-node tests). Stop by cancelling ctx, then
// Close/Wait. Writes acknowledged before StartSync (also in an earlier
// run) are published from the outbox.
func (c *Catalog) StartSync(ctx context.Context, cfg SyncConfig) error {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return err
	}
	s := &syncer{
		c: c, st: c.store, cfg: cfg, ctx: ctx,
		log:     cfg.Logger.With("component", "catalog"),
		keys:    make(map[bkey]*bstate),
		changed: make(chan struct{}),
		signers: make(map[string]ed25519.PrivateKey),
	}
	if s.watch, err = c.store.LoadMarks(ctx, c.tombstoneCutoff()); err != nil {
		return fmt.Errorf("catalog: read marks: %w", err)
	}
	c.store.SetStrong(cfg.Quorum != nil)
	if !c.sync.CompareAndSwap(nil, s) {
		return errors.New("catalog: sync already started")
	}
	keys, err := c.store.Outbox().Keys()
	if err != nil {
		return fmt.Errorf("catalog: read outbox: %w", err)
	}
	for _, k := range keys {
		s.kick(k)
	}
	s.wg.Add(1)
	go s.refreshLoop()
	return nil
}

// Wait stops the loops after ctx is cancelled.
func (c *Catalog) Wait() {
	if s := c.sync.Load(); s != nil {
		s.wg.Wait()
	}
}

// Flush blocks until every entry in the outbox is contained in a published
// head (tests and benchmarks use it).
func (c *Catalog) Flush(ctx context.Context) error {
	s := c.sync.Load()
	if s == nil {
		return errors.New("catalog: flush: sync not started")
	}
	for {
		ch := s.changedCh()
		keys, err := c.store.Outbox().Keys()
		if err != nil || len(keys) == 0 {
			return err
		}
		for _, k := range keys {
			s.kick(k)
		}
		t := time.NewTimer(100 * time.Millisecond)
		select {
		case <-ch:
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		}
		t.Stop()
	}
}

// kick tells the publisher of user's bucket (or bucket list) that the
// outbox holds new writes; it does nothing on a local-only catalogue.
func (c *Catalog) kick(user, bucket string) {
	if s := c.sync.Load(); s != nil {
		s.kick(bkey{User: user, Bucket: bucket})
	}
}

// state returns k's state; s.mu must be held.
func (s *syncer) state(k bkey) *bstate {
	st := s.keys[k]
	if st == nil {
		st = new(bstate)
		s.keys[k] = st
	}
	return st
}

// watchMark records k's mark for the refresh loop; a zero mark stops
// watching k.
func (s *syncer) watchMark(k bkey, t Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t.IsZero() {
		delete(s.watch, k)
	} else {
		s.watch[k] = t
	}
}

// stateOf returns k's state.
func (s *syncer) stateOf(k bkey) *bstate {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state(k)
}

// changedCh returns a channel closed at the next outbox confirmation.
func (s *syncer) changedCh() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.changed
}

// notify wakes the Flush callers.
func (s *syncer) notify() {
	s.mu.Lock()
	defer s.mu.Unlock()
	close(s.changed)
	s.changed = make(chan struct{})
}

// userKey returns user's private key, asking the Signer once.
func (s *syncer) userKey(ctx context.Context, user string) (ed25519.PrivateKey, error) {
	s.mu.Lock()
	priv := s.signers[user]
	s.mu.Unlock()
	if priv != nil {
		return priv, nil
	}
	priv, err := s.cfg.Signer.UserKey(ctx, user)
	if err != nil {
		return nil, fmt.Errorf("key of user %s: %w", user, err)
	}
	s.mu.Lock()
	s.signers[user] = priv
	s.mu.Unlock()
	return priv, nil
}

// sleep waits d or until the syncer stops; false when it stopped.
func (s *syncer) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-s.ctx.Done():
		return false
	}
}
