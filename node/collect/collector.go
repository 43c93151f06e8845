package collect

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/protocol"

	"github.com/d3s/d3s/catalog"
	"github.com/d3s/d3s/internal/lifetime"
	"github.com/d3s/d3s/node/ledger"
	"github.com/d3s/d3s/node/p2p"
	"github.com/d3s/d3s/node/placement"
	"github.com/d3s/d3s/swarm"
)

// ReleaseProtocol tells a holder that a version of an object left the
// catalogue of the sender (see the package doc).
const ReleaseProtocol protocol.ID = "/d3s/release/1.0.0"

// Collection timing.
const (
	// DefaultSweep is Config.Sweep when unset.
	DefaultSweep = time.Minute
	// DefaultOrphanScan is Config.OrphanScan when unset.
	DefaultOrphanScan = time.Hour
	// candidateTTL is how long a candidate still referenced by a live
	// entry is checked again: a deletion notified before its head was
	// published must not be forgotten at once, but an infohash another
	// key shares stops costing sweeps, and the repair loop leads no copy
	// of a candidate meanwhile (the orphan scan catches a deletion
	// published later than this).
	candidateTTL = 2 * time.Minute
	// candidateGrace is how long a candidate waits before it may be
	// released: the deleter notifies the holders before its head is
	// published, so a sweep right after a notice may fetch the head
	// without the deletion, and one right after a merge may not have
	// merged the bucket's other live keys yet.
	candidateGrace = 5 * time.Second
	// notifyTimeout bounds notifying one version's holders.
	notifyTimeout = 10 * time.Second
	// orphanFirstDelay is when the first orphan scan runs after Start (or
	// the interval, when shorter): after the catalogue had time to catch
	// up.
	orphanFirstDelay = 10 * time.Minute
)

// ErrNoMembers: no other member is connected, so the network's catalogue
// cannot be checked (LiveRefs).
var ErrNoMembers = errors.New("collect: no member connected: the catalogue cannot be checked")

// Config configures a Collector.
type Config struct {
	Catalog   *catalog.Catalog
	Ledger    *ledger.Ledger
	Placement *placement.Placement
	// Users lists the access key IDs of the users this node knows.
	Users  func(ctx context.Context) ([]string, error)
	Life   *lifetime.Group
	Logger *slog.Logger
	// Sweep is how often the candidates are swept; 0 means
	// DefaultSweep.
	Sweep time.Duration
	// OrphanScan is how often the orphan scan runs; 0 means
	// DefaultOrphanScan.
	OrphanScan time.Duration
	// BlobObject returns the swarm object a catalogue snapshot blob ID
	// names, if any (catalognet.BlobObject): the blobs of every bucket's
	// current manifest are live references too. Nil: none.
	BlobObject func(id []byte) (swarm.ID, bool)
}

// Collector notes, notifies and collects replicas of removed versions.
type Collector struct {
	cat        *catalog.Catalog
	ledger     *ledger.Ledger
	place      *placement.Placement
	users      func(context.Context) ([]string, error)
	life       *lifetime.Group
	log        *slog.Logger
	sweep      time.Duration
	orphanScan time.Duration
	blobObject func([]byte) (swarm.ID, bool)
	host       atomic.Pointer[hostRef]
}

type hostRef struct{ host.Host }

// New returns a Collector with cfg's defaults filled.
func New(cfg Config) *Collector {
	c := &Collector{
		cat: cfg.Catalog, ledger: cfg.Ledger, place: cfg.Placement, users: cfg.Users, life: cfg.Life,
		log: cfg.Logger, sweep: cfg.Sweep, orphanScan: cfg.OrphanScan, blobObject: cfg.BlobObject,
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	c.log = c.log.With("component", "collect")
	if c.sweep <= 0 {
		c.sweep = DefaultSweep
	}
	if c.orphanScan <= 0 {
		c.orphanScan = DefaultOrphanScan
	}
	return c
}

// Start serves ReleaseProtocol on h and runs the sweep and orphan loops
// until the node's lifetime ends.
func (c *Collector) Start(h host.Host) {
	c.host.Store(&hostRef{h})
	h.SetStreamHandler(ReleaseProtocol, p2p.Tracked(c.life, c.handle))
	c.life.Loop(c.sweepLoop)
	c.life.Loop(c.orphanLoop)
}

// Retire is called for a version this node's own Put, Delete or Complete
// removed from the index: its reference is released
// (ledger.ReleaseEntry) and its holders are told, so that they collect
// their replicas without having to read the bucket.
func (c *Collector) Retire(ctx context.Context, e *catalog.Entry) {
	c.ledger.ReleaseEntry(ctx, e)
	if e == nil || e.DeleteMarker || c.host.Load() == nil {
		return
	}
	c.life.Go(func() { c.notifyHolders(e.InfoHash) })
}

// RetireBlob is called for a catalogue snapshot blob (a swarm object)
// this node's catalogue stopped referencing: this node's replica of it,
// if any, becomes a collection candidate and its holders are told, like
// Retire's. The sweeps collect it only once no current manifest of any
// bucket lists it.
func (c *Collector) RetireBlob(id swarm.ID) {
	c.ledger.MarkCandidate(id)
	if c.host.Load() == nil {
		return
	}
	c.life.Go(func() { c.notifyHolders(id) })
}

// notifyHolders sends ReleaseProtocol for id to its holders but this
// node; failures are only logged (the holder's own merges and repair
// catch up).
func (c *Collector) notifyHolders(id swarm.ID) {
	ctx, cancel := context.WithTimeout(c.life.Context(), notifyTimeout)
	defer cancel()
	h := c.host.Load()
	for _, p := range placement.Without(c.place.Holders(ctx, id), c.place.Self()) {
		st, err := h.NewStream(ctx, p, ReleaseProtocol)
		if err != nil {
			c.log.Debug("release notice", "id", id, "to", p, "err", err)
			continue
		}
		st.SetDeadline(time.Now().Add(notifyTimeout))
		if _, err := st.Write(id[:]); err != nil {
			st.Reset()
			continue
		}
		st.Close()
	}
}

// handle serves one ReleaseProtocol notice.
func (c *Collector) handle(st network.Stream) {
	st.SetReadDeadline(time.Now().Add(p2p.RequestTimeout))
	var id swarm.ID
	if _, err := io.ReadFull(st, id[:]); err != nil {
		st.Reset()
		return
	}
	c.ledger.MarkCandidate(id)
}
