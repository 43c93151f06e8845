package replicate

import (
	"errors"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/libp2p/go-libp2p/core/host"

	"github.com/d3s/d3s/internal/lifetime"
	"github.com/d3s/d3s/node/ledger"
	"github.com/d3s/d3s/node/p2p"
	"github.com/d3s/d3s/node/placement"
	"github.com/d3s/d3s/swarm"
)

// Errors of replication.
var (
	// ErrReplicaFailed: a holder asked to replicate an object answered
	// that it could not.
	ErrReplicaFailed = errors.New("replicate: holder could not replicate")
	// ErrTooFewCopies: a write could not make the configured number of
	// durable copies (Config.SyncReplicas of the node) in time.
	ErrTooFewCopies = errors.New("replicate: too few durable copies")
	// errRefused: this node refuses replicas (SetRefuse).
	errRefused = errors.New("replicate: replicas refused")
)

// Config configures a Replicator.
type Config struct {
	// DB holds the durable queue.
	DB *badger.DB
	// Swarm stores and serves the objects.
	Swarm *swarm.Swarm
	// Ledger records the replicas this node keeps.
	Ledger *ledger.Ledger
	// Placement names each object's holders.
	Placement *placement.Placement
	// Life is the node's lifetime: handlers and tasks run as its work.
	Life *lifetime.Group
	// Logger receives the component's logs; nil discards them.
	Logger *slog.Logger
	// SeedIdle is how long an object loaded to serve a request stays
	// loaded after the last one (plus a second per MiB); 0 means
	// DefaultSeedIdle.
	SeedIdle time.Duration
	// Refuse starts the replicator refusing replicate requests (tests
	// of the repair loop) until SetRefuse(false).
	Refuse bool
}

// Replicator pushes object versions to their holders, keeps the copies
// other members push here, and unloads idle torrents.
type Replicator struct {
	db       *badger.DB
	swarm    *swarm.Swarm
	ledger   *ledger.Ledger
	place    *placement.Placement
	life     *lifetime.Group
	log      *slog.Logger
	seedIdle time.Duration

	host   atomic.Pointer[hostRef]
	refuse atomic.Bool
	tasks  *taskState
	seeds  seedTracker
}

type hostRef struct{ host.Host }

// New returns a Replicator with cfg's defaults filled; it replicates
// nothing until Start puts it on the network.
func New(cfg Config) *Replicator {
	r := &Replicator{
		db: cfg.DB, swarm: cfg.Swarm, ledger: cfg.Ledger, place: cfg.Placement, life: cfg.Life,
		log: cfg.Logger, seedIdle: cfg.SeedIdle, tasks: newTaskState(),
	}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	r.log = r.log.With("component", "replicate")
	if r.seedIdle <= 0 {
		r.seedIdle = DefaultSeedIdle
	}
	r.refuse.Store(cfg.Refuse)
	return r
}

// Start serves Protocol on h and runs the retry and idle loops until the
// node's lifetime ends.
func (r *Replicator) Start(h host.Host) {
	r.host.Store(&hostRef{h})
	h.SetStreamHandler(Protocol, p2p.Tracked(r.life, r.handle))
	r.life.Loop(r.retryLoop)
	r.life.Loop(r.idleLoop)
}

// SetRefuse makes this node refuse (or again accept) replicate requests.
func (r *Replicator) SetRefuse(refuse bool) { r.refuse.Store(refuse) }

// online returns the host once Start ran, else nil.
func (r *Replicator) online() host.Host {
	if h := r.host.Load(); h != nil {
		return h.Host
	}
	return nil
}
