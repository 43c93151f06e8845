package quorum

import (
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"

	"github.com/d3s/d3s/catalog"
	"github.com/d3s/d3s/internal/lifetime"
	"github.com/d3s/d3s/node/p2p"
)

// Protocol carries the members' record and lease operations (see the
// package doc).
const Protocol protocol.ID = "/d3s/quorum/1.0.0"

// Timing.
const (
	// DefaultTimeout is Config.Timeout when unset.
	DefaultTimeout = 4 * time.Second
	// MaxLeaseTTL caps a lease's ttl, and is how long a member refuses
	// every grant after it started: its memory forgot the leases it had
	// granted before.
	MaxLeaseTTL = 15 * time.Second
	// dialTimeout bounds dialling a member that is not connected.
	dialTimeout = 3 * time.Second
	// warnEvery rate-limits the WARN of a quorum not reached, per key.
	warnEvery = 30 * time.Second
)

// maxLeaseTTL is MaxLeaseTTL; tests shorten it.
var maxLeaseTTL = MaxLeaseTTL

var _ catalog.Quorum = (*Quorum)(nil)

// Config configures a Quorum.
type Config struct {
	// DB is the node's database (synced writes); the records are kept
	// under "quorum/".
	DB *badger.DB
	// Self is this node's peer ID.
	Self peer.ID
	// Members lists the network's members as this node knows them, self
	// included or not: the majority is of every member known, live or
	// not, so a minority side of a partition cannot form one.
	Members func() []peer.ID
	Life    *lifetime.Group
	// Logger receives the debug log of each operation and a WARN when a
	// quorum is not reached; nil discards them.
	Logger *slog.Logger
	// Timeout bounds how long an operation waits for a majority; 0
	// means DefaultTimeout.
	Timeout time.Duration
}

// Quorum is this node's member of the record store and its client of
// the others. It implements catalog.Quorum.
type Quorum struct {
	db      *badger.DB
	self    peer.ID
	members func() []peer.ID
	life    *lifetime.Group
	log     *slog.Logger
	timeout time.Duration
	// readyAt: no grant before it, the end of the leases an earlier run
	// may have granted (leaseUntilKey); grantedUntil: what this run
	// stored there, under mu.
	readyAt, grantedUntil time.Time
	host                  atomic.Pointer[hostRef]

	mu      sync.Mutex
	learned map[peer.ID]struct{} // members other members told of
	leases  map[string]lease     // leases this member granted
	warned  map[string]time.Time // last WARN per key
}

type hostRef struct{ host.Host }

// New returns a Quorum that serves its own operations locally and asks
// no other member until Start. It refuses lease grants for MaxLeaseTTL.
func New(cfg Config) *Quorum {
	q := &Quorum{
		db: cfg.DB, self: cfg.Self, members: cfg.Members, life: cfg.Life, log: cfg.Logger,
		timeout: cfg.Timeout,
		learned: map[peer.ID]struct{}{}, leases: map[string]lease{}, warned: map[string]time.Time{},
	}
	if q.log == nil {
		q.log = slog.New(slog.DiscardHandler)
	}
	q.log = q.log.With("component", "quorum")
	if q.timeout <= 0 {
		q.timeout = DefaultTimeout
	}
	q.readyAt, q.grantedUntil = q.loadGrantedUntil(), time.Time{}
	if q.members == nil {
		q.members = func() []peer.ID { return nil }
	}
	return q
}

// Start serves Protocol on h and dials the other members through it
// from now on.
func (q *Quorum) Start(h host.Host) {
	q.host.Store(&hostRef{h})
	h.SetStreamHandler(Protocol, p2p.Tracked(q.life, q.handle))
}

// warnNoQuorum logs at WARN that key's operation found no quorum, at
// most once per warnEvery per key.
func (q *Quorum) warnNoQuorum(op, key string, err error) {
	now := time.Now()
	q.mu.Lock()
	last, ok := q.warned[key]
	if ok && now.Sub(last) < warnEvery {
		q.mu.Unlock()
		return
	}
	if len(q.warned) > 1024 {
		clear(q.warned)
	}
	q.warned[key] = now
	q.mu.Unlock()
	q.log.Warn("no quorum", "op", op, "key", key, "err", err)
}
