package dht

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/p2p/net/swarm"

	"github.com/d3s/d3s/dht/record"
)

// TestRedialBackoffBounds: the delay doubles from Min per failure, never
// passes Max by more than the jitter, and the jitter spans ±25%.
func TestRedialBackoffBounds(t *testing.T) {
	cfg := RedialConfig{Min: 500 * time.Millisecond, Max: 4 * time.Second}
	cfg.setDefaults()
	for _, tc := range []struct {
		fails int
		base  time.Duration
	}{{0, 500 * time.Millisecond}, {1, time.Second}, {2, 2 * time.Second}, {3, 4 * time.Second}, {4, 4 * time.Second}, {64, 4 * time.Second}, {1 << 20, 4 * time.Second}} {
		lo := cfg.backoff(tc.fails, func() float64 { return 0 })
		hi := cfg.backoff(tc.fails, func() float64 { return 0.999999 })
		if lo != tc.base*3/4 || hi <= lo || hi > tc.base*5/4 {
			t.Errorf("after %d failures: delay in [%v, %v], want [%v, %v)", tc.fails, lo, hi, tc.base*3/4, tc.base*5/4)
		}
	}
}

// fakeNet is a redialer's world: members, which are connected, and a
// clock the test moves.
type fakeNet struct {
	now       time.Time
	members   []peer.AddrInfo
	connected map[peer.ID]bool
	conns     int
	dials     map[peer.ID]int
}

func newFakeNet(n int) *fakeNet {
	f := &fakeNet{now: time.Unix(1e9, 0), connected: map[peer.ID]bool{}, dials: map[peer.ID]int{}}
	for i := range n {
		f.members = append(f.members, peer.AddrInfo{ID: peer.ID(fmt.Sprintf("member-%04d", i))})
	}
	return f
}

func (f *fakeNet) redialer(cfg RedialConfig) *redialer {
	r := newRedialer(cfg)
	r.now = func() time.Time { return f.now }
	r.rnd = func() float64 { return 0.5 }
	r.candidates = func() []peer.AddrInfo { return f.members }
	r.connected = func(p peer.ID) bool { return f.connected[p] }
	r.conns = func() int { return f.conns }
	return r
}

// step advances the clock by one tick and runs the dials due, each
// ending at once with the answer reach gives.
func (f *fakeNet) step(r *redialer, reach func(peer.ID) error) int {
	f.now = f.now.Add(redialTick)
	due := r.due(f.members)
	for _, p := range due {
		f.dials[p.ID]++
		err := reach(p.ID)
		if err == nil {
			f.connected[p.ID] = true
		}
		r.done(p.ID, err)
	}
	return len(due)
}

var errUnreachable = errors.New("unreachable")

func unreachable(peer.ID) error { return errUnreachable }

// TestRedialBoundedWithManyMembers: a node knowing 1000 members, none
// reachable, dials at most Rate a second (plus one second's burst), and
// still tries every one of them within a bounded time.
func TestRedialBoundedWithManyMembers(t *testing.T) {
	f := newFakeNet(1000)
	r := f.redialer(RedialConfig{})
	total := 0
	const seconds = 120
	for range seconds * int(time.Second/redialTick) {
		total += f.step(r, unreachable)
	}
	if limit := DefaultRedialRate * (seconds + 1); total > limit {
		t.Errorf("%d dials in %d s to 1000 unreachable members, want at most %d", total, seconds, limit)
	}
	for _, m := range f.members {
		if f.dials[m.ID] == 0 {
			t.Fatalf("member %s never dialled in %d s", m.ID, seconds)
		}
	}
}

// TestRedialInFlightBound: dials that do not end hold their slots; no
// more than InFlight run at once.
func TestRedialInFlightBound(t *testing.T) {
	f := newFakeNet(100)
	r := f.redialer(RedialConfig{InFlight: 3, Rate: 1000})
	running := 0
	for range 40 {
		f.now = f.now.Add(redialTick)
		running += len(r.due(f.members)) // never done
	}
	if running != 3 {
		t.Errorf("%d dials running, want InFlight = 3", running)
	}
}

// TestRedialBacksOffAndResets: an unreachable member is dialled less and
// less often, down to one dial per Max (±25%); once it connected and then
// dropped, the next dial comes within Min again.
func TestRedialBacksOffAndResets(t *testing.T) {
	f := newFakeNet(1)
	r := f.redialer(RedialConfig{})
	m := f.members[0].ID
	for range 60 * int(time.Second/redialTick) {
		f.step(r, unreachable)
	}
	// 500 ms, 1 s, 2 s, then every 4 s: about 17 dials in a minute.
	if n := f.dials[m]; n < 12 || n > 20 {
		t.Errorf("%d dials of an unreachable member in a minute, want 12–20 (backoff to 4 s)", n)
	}
	reachable := func(peer.ID) error { return nil }
	back := f.now
	for !f.connected[m] && f.now.Sub(back) <= DefaultRedialMax*5/4+redialTick {
		f.step(r, reachable)
	}
	if !f.connected[m] {
		t.Fatalf("member reachable again but not dialled within %v", DefaultRedialMax*5/4)
	}
	for range 20 {
		f.step(r, unreachable) // connected: never dialled
	}
	before := f.dials[m]
	f.connected[m] = false
	dropped := f.now
	for f.dials[m] == before {
		f.step(r, unreachable)
	}
	if d := f.now.Sub(dropped); d > DefaultRedialMin*5/4+redialTick {
		t.Errorf("first redial %v after the member dropped, want within %v (backoff reset)", d, DefaultRedialMin*5/4)
	}
}

// TestRedialStopsAtTarget: with Target connections already, nobody is
// dialled.
func TestRedialStopsAtTarget(t *testing.T) {
	f := newFakeNet(10)
	f.conns = DefaultRedialTarget
	r := f.redialer(RedialConfig{})
	for range 40 {
		if n := f.step(r, unreachable); n > 0 {
			t.Fatalf("%d dials with %d connections (the target)", n, f.conns)
		}
	}
}

// TestRedialReconnectsDroppedMember: on a real network, two members whose
// connections were closed, who left each other's routing tables, and
// whose libp2p dial backoff has grown to its 5 minutes (what a partition
// leaves behind) are connected and in each other's routing table again
// within the redial bound.
func TestRedialReconnectsDroppedMember(t *testing.T) {
	nodes := startNetwork(t, 3, record.NetworkKey{11})
	a, b := nodes[0], nodes[1]
	for _, x := range [][2]*testNode{{a, b}, {b, a}} {
		bo := x[0].host.Network().(*swarm.Swarm).Backoff()
		for range 20 {
			for _, addr := range x[1].host.Addrs() {
				bo.AddBackoff(x[1].host.ID(), addr)
			}
		}
		x[0].dht.Kad().RoutingTable().RemovePeer(x[1].host.ID())
	}
	if err := a.host.Network().ClosePeer(b.host.ID()); err != nil {
		t.Fatal(err)
	}
	bound := DefaultRedialMax*5/4 + redialDialTimeout
	waitFor(t, bound, "a and b connected again, each in the other's routing table", func() bool {
		return len(a.host.Network().ConnsToPeer(b.host.ID())) > 0 &&
			a.dht.Kad().RoutingTable().Find(b.host.ID()) != "" &&
			b.dht.Kad().RoutingTable().Find(a.host.ID()) != ""
	})
}
