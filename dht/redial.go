package dht

import (
	"context"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
)

// Redial bounds (RedialConfig's defaults). A member that is not connected
// is dialled again RedialMin after it was last seen connected, then after
// twice as long at each failure up to RedialMax, each delay jittered by
// ±25% so that both sides of a healed partition do not dial in step. A
// healed network is whole again within about RedialMax·1.25 plus one dial.
const (
	DefaultRedialMin = 500 * time.Millisecond
	DefaultRedialMax = 4 * time.Second
	// DefaultRedialRate bounds dial starts per second, and
	// DefaultRedialInFlight the dials running at once: a node that knows
	// 1000 unreachable members dials 16 a second, not 1000.
	DefaultRedialRate     = 16
	DefaultRedialInFlight = 8
	// DefaultRedialTarget: the loop dials only while the node has fewer
	// connections than this (the connection manager's low watermark), so
	// it never fights the connection manager's trimming; networks larger
	// than that rely on kad-dht's lookups for the rest.
	DefaultRedialTarget = 64
	// redialTick is how often the loop looks for due members.
	redialTick = 250 * time.Millisecond
	// redialDialTimeout bounds one dial: longer than a TCP handshake
	// across a loaded LAN, shorter than libp2p's 15 s default.
	redialDialTimeout = 5 * time.Second
	// redialCandidatesEvery is how often the known members are read
	// again (the stored peer book is a badger scan).
	redialCandidatesEvery = 2 * time.Second
)

// RedialConfig bounds a redialer; zero fields take the defaults above.
type RedialConfig struct {
	Min, Max       time.Duration
	Rate, InFlight int
	Target         int
}

func (c *RedialConfig) setDefaults() {
	if c.Min <= 0 {
		c.Min = DefaultRedialMin
	}
	if c.Max < c.Min {
		c.Max = max(c.Min, DefaultRedialMax)
	}
	if c.Rate <= 0 {
		c.Rate = DefaultRedialRate
	}
	if c.InFlight <= 0 {
		c.InFlight = DefaultRedialInFlight
	}
	if c.Target <= 0 {
		c.Target = DefaultRedialTarget
	}
}

// backoff is how long after fails failed dials (0: none yet) the next one
// is due: Min·2^fails capped at Max, times a factor in [0.75, 1.25).
func (c RedialConfig) backoff(fails int, rnd func() float64) time.Duration {
	d := c.Max
	if fails < 30 {
		d = min(c.Min<<fails, c.Max)
	}
	return time.Duration(float64(d) * (0.75 + 0.5*rnd()))
}

// redialState is what the redialer knows of one member not connected.
type redialState struct {
	fails    int
	due      time.Time
	inflight bool
}

// redialer keeps redialling known members that are not connected (the
// peers this host stored, the routing table, and the peers other members
// told it about), because kad-dht dials its bootstrap peers again only
// when its routing table is empty: the two sides of a healed partition
// would otherwise stay apart. Its seams are functions so that tests drive
// it without a network.
type redialer struct {
	cfg        RedialConfig
	candidates func() []peer.AddrInfo
	connected  func(peer.ID) bool
	conns      func() int
	dial       func(context.Context, peer.AddrInfo) error
	now        func() time.Time
	rnd        func() float64

	mu     sync.Mutex
	peers  map[peer.ID]*redialState
	tokens float64
	last   time.Time
	wg     sync.WaitGroup
}

func newRedialer(cfg RedialConfig) *redialer {
	cfg.setDefaults()
	return &redialer{cfg: cfg, peers: map[peer.ID]*redialState{}, now: time.Now, rnd: rand.Float64, tokens: float64(cfg.Rate)}
}

// run redials until ctx ends, then waits for the dials in flight.
func (r *redialer) run(ctx context.Context) {
	defer r.wg.Wait()
	tick := time.NewTicker(redialTick)
	defer tick.Stop()
	var cands []peer.AddrInfo
	var read time.Time
	for {
		if r.now().Sub(read) >= redialCandidatesEvery {
			cands, read = r.candidates(), r.now()
		}
		for _, p := range r.due(cands) {
			r.wg.Go(func() { r.attempt(ctx, p) })
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// due returns the members of cands to dial now, marked in flight: not
// connected, their backoff over, earliest due first, within the rate,
// in-flight and target bounds. A connected member's state is dropped, so
// its backoff starts again from Min when it disconnects.
func (r *redialer) due(cands []peer.AddrInfo) []peer.AddrInfo {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	r.refill(now)
	var ready []peer.AddrInfo
	inflight, seen := 0, make(map[peer.ID]bool, len(cands))
	for _, c := range cands {
		seen[c.ID] = true
		if r.connected(c.ID) {
			delete(r.peers, c.ID)
			continue
		}
		st := r.peers[c.ID]
		if st == nil {
			st = &redialState{due: now.Add(r.cfg.backoff(0, r.rnd))}
			r.peers[c.ID] = st
		}
		if st.inflight {
			inflight++
		} else if !now.Before(st.due) {
			ready = append(ready, c)
		}
	}
	r.forget(seen)
	slices.SortFunc(ready, func(a, b peer.AddrInfo) int { return r.peers[a.ID].due.Compare(r.peers[b.ID].due) })
	n := min(len(ready), r.cfg.InFlight-inflight, int(r.tokens), r.cfg.Target-r.conns())
	if n <= 0 {
		return nil
	}
	r.tokens -= float64(n)
	for _, c := range ready[:n] {
		r.peers[c.ID].inflight = true
	}
	return ready[:n]
}

// refill adds the dial tokens earned since the last call (at most one
// second's worth).
func (r *redialer) refill(now time.Time) {
	if !r.last.IsZero() {
		r.tokens = min(float64(r.cfg.Rate), r.tokens+now.Sub(r.last).Seconds()*float64(r.cfg.Rate))
	}
	r.last = now
}

// forget drops the state of members no longer known, except dials in
// flight (attempt needs their state).
func (r *redialer) forget(seen map[peer.ID]bool) {
	for p, st := range r.peers {
		if !seen[p] && !st.inflight {
			delete(r.peers, p)
		}
	}
}

// attempt dials p once and schedules the next attempt: a success drops
// p's state (connected members are not redialled), a failure doubles its
// backoff.
func (r *redialer) attempt(ctx context.Context, p peer.AddrInfo) {
	dctx, cancel := context.WithTimeout(ctx, redialDialTimeout)
	err := r.dial(dctx, p)
	cancel()
	r.done(p.ID, err)
}

// done records the end of a dial to p.
func (r *redialer) done(p peer.ID, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	st := r.peers[p]
	if st == nil {
		return
	}
	if err == nil {
		delete(r.peers, p)
		return
	}
	st.inflight = false
	st.fails++
	st.due = r.now().Add(r.cfg.backoff(st.fails, r.rnd))
}
