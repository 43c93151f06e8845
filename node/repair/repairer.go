package repair

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/d3s/d3s/catalog"
	"github.com/d3s/d3s/internal/lifetime"
	"github.com/d3s/d3s/node/ledger"
	"github.com/d3s/d3s/node/p2p"
	"github.com/d3s/d3s/node/placement"
	"github.com/d3s/d3s/swarm"
)

// Defaults of Config.
const (
	// DefaultInterval is Config.Interval when unset.
	DefaultInterval = 30 * time.Second
	// DefaultCheckAge is Config.CheckAge when unset: how old a replica
	// must be for the repair to check that a version still references it
	// before copying it: a younger one may belong to a PUT whose
	// catalogue entry has not reached this node.
	DefaultCheckAge = 10 * time.Minute
	// DefaultScrubInterval is Config.ScrubInterval when unset.
	DefaultScrubInterval = 24 * time.Hour
	// DefaultScrubRate is Config.ScrubRate when unset, bytes per second:
	// a fraction of one disk's sequential read rate.
	DefaultScrubRate = 64 << 20
)

// Queue queues durable replication tasks (package replicate).
type Queue interface {
	// Queue queues a copy of id to each of holders and starts them.
	Queue(id swarm.ID, holders []peer.ID)
}

// Finder finds the members that hold an object (package remote).
type Finder interface {
	// FindHolders returns the metainfo and swarm names of those of cands
	// that hold id; the error wraps placement.ErrNoHolder if none does.
	FindHolders(ctx context.Context, id swarm.ID, cands []peer.ID) ([]byte, []string, error)
}

// Config configures a Repairer.
type Config struct {
	Swarm     *swarm.Swarm
	Catalog   *catalog.Catalog
	Ledger    *ledger.Ledger
	Placement *placement.Placement
	Queue     Queue
	Finder    Finder
	// Users lists the access key IDs of the users this node knows.
	Users func(ctx context.Context) ([]string, error)
	// LiveRefs reports which of ids a live catalogue entry references,
	// after revalidating the whole catalogue (package collect).
	LiveRefs func(ctx context.Context, ids map[swarm.ID]time.Time) (map[swarm.ID]bool, error)
	Life     *lifetime.Group
	Logger   *slog.Logger
	// Interval is how often a repair pass runs; 0 means DefaultInterval.
	Interval time.Duration
	// CheckAge: see DefaultCheckAge; 0 means DefaultCheckAge.
	CheckAge time.Duration
	// ScrubInterval is how long one scrub pass is spread over; 0 means
	// DefaultScrubInterval. ScrubRate caps its reads in bytes per
	// second; 0 means DefaultScrubRate.
	ScrubInterval time.Duration
	ScrubRate     int64
}

// Repairer runs the repair and scrub loops, answers have requests and
// tracks damaged objects.
type Repairer struct {
	swarm    *swarm.Swarm
	cat      *catalog.Catalog
	ledger   *ledger.Ledger
	place    *placement.Placement
	queue    Queue
	finder   Finder
	users    func(context.Context) ([]string, error)
	liveRefs func(context.Context, map[swarm.ID]time.Time) (map[swarm.ID]bool, error)
	life     *lifetime.Group
	log      *slog.Logger

	interval, checkAge, scrubInterval time.Duration
	scrubRate                         int64

	host   atomic.Pointer[hostRef]
	damage damageTracker
	stats  passTotals
}

type hostRef struct{ host.Host }

// New returns a Repairer with cfg's defaults filled.
func New(cfg Config) *Repairer {
	r := &Repairer{
		swarm: cfg.Swarm, cat: cfg.Catalog, ledger: cfg.Ledger, place: cfg.Placement, queue: cfg.Queue,
		finder: cfg.Finder, users: cfg.Users, liveRefs: cfg.LiveRefs, life: cfg.Life, log: cfg.Logger,
		interval: cfg.Interval, checkAge: cfg.CheckAge, scrubInterval: cfg.ScrubInterval, scrubRate: cfg.ScrubRate,
	}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	r.log = r.log.With("component", "repair")
	if r.interval <= 0 {
		r.interval = DefaultInterval
	}
	if r.checkAge <= 0 {
		r.checkAge = DefaultCheckAge
	}
	if r.scrubInterval <= 0 {
		r.scrubInterval = DefaultScrubInterval
	}
	if r.scrubRate <= 0 {
		r.scrubRate = DefaultScrubRate
	}
	return r
}

// Start serves HaveProtocol on h and runs the repair and scrub loops
// until the node's lifetime ends.
func (r *Repairer) Start(h host.Host) {
	r.host.Store(&hostRef{h})
	h.SetStreamHandler(HaveProtocol, p2p.Tracked(r.life, r.handleHave))
	r.life.Loop(r.repairLoop)
	r.life.Loop(r.scrubLoop)
}

// Stats is what the last completed repair pass found, and the damage
// counters.
type Stats struct {
	// LastPass is when the last completed pass began (zero before one).
	LastPass time.Time
	// HeldObjects and HeldBytes count the versions this node must hold.
	HeldObjects int
	HeldBytes   int64
	// UnderReplicated counts the held versions with fewer than R copies
	// on live members.
	UnderReplicated int
	// Passes counts the completed passes.
	Passes int
	// Corrupt counts the objects found damaged since start, Repaired
	// those repaired from another member, Damaged those damaged now.
	Corrupt, Repaired, Damaged int
}

// passTotals is the last completed pass's Stats.
type passTotals struct {
	mu sync.Mutex
	Stats
}

// Stats reports the last completed pass and the damage counters.
func (r *Repairer) Stats() Stats {
	r.stats.mu.Lock()
	st := r.stats.Stats
	r.stats.mu.Unlock()
	st.Corrupt, st.Repaired = r.damage.counts()
	st.Damaged = len(r.damage.ids())
	return st
}

// heldBytes is the last completed pass's held bytes.
func (r *Repairer) heldBytes() int64 {
	r.stats.mu.Lock()
	defer r.stats.mu.Unlock()
	return r.stats.HeldBytes
}

// SetHeldBytes replaces the held bytes of the last pass, as a pass that
// just ended would (tests of the scrub's pace).
func (r *Repairer) SetHeldBytes(b int64) {
	r.stats.mu.Lock()
	defer r.stats.mu.Unlock()
	r.stats.HeldBytes = b
}
