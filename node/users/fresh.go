package users

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
)

// freshWait bounds how long a request waits for the merge of the members'
// user records after this node (re)joined; after that it is answered 503.
const freshWait = 5 * time.Second

// freshness tracks whether this node has merged a member's user records
// since it was last connected to none: a node that was away (stopped, or
// cut off) may hold records that were rotated or removed meanwhile, and
// must not serve them before it has merged.
type freshness struct {
	mu       sync.Mutex
	merged   chan struct{} // closed once merged; replaced when the node loses its last member
	inflight bool          // an exchange started by Fresh is running
}

func newFreshness() *freshness {
	return &freshness{merged: make(chan struct{})}
}

// state returns the channel closed at the next (or last) merge.
func (f *freshness) state() chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.merged
}

// markMerged records a completed exchange with a member.
func (f *freshness) markMerged() {
	f.mu.Lock()
	defer f.mu.Unlock()
	select {
	case <-f.merged:
	default:
		close(f.merged)
	}
}

// markStale records that the node lost its last member.
func (f *freshness) markStale() {
	f.mu.Lock()
	defer f.mu.Unlock()
	select {
	case <-f.merged:
		f.merged = make(chan struct{})
	default:
	}
}

// claim reports whether the caller should start an exchange: none started
// by Fresh runs. release ends it.
func (f *freshness) claim() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.inflight {
		return false
	}
	f.inflight = true
	return true
}

func (f *freshness) release() {
	f.mu.Lock()
	f.inflight = false
	f.mu.Unlock()
}

// Fresh implements Network. A node with no member connected serves what
// it has (offline-first). One connected to members waits up to freshWait
// for an exchange to complete (the one started when a member connected,
// or one it starts with every connected member).
func (s *Sync) Fresh(ctx context.Context) error {
	merged := s.fresh.state()
	select {
	case <-merged:
		return nil
	default:
	}
	peers := s.host.Network().Peers()
	if len(peers) == 0 {
		return nil
	}
	if s.wg != nil && s.fresh.claim() {
		s.wg.Go(func() { s.exchangeAll(peers) })
	}
	t := time.NewTimer(freshWait)
	defer t.Stop()
	select {
	case <-merged:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return fmt.Errorf("%w: no exchange with %d connected members completed within %v", ErrNotSynced, len(peers), freshWait)
	}
}

// exchangeAll exchanges records with every one of peers at once.
func (s *Sync) exchangeAll(peers []peer.ID) {
	defer s.fresh.release()
	var wg sync.WaitGroup
	for _, p := range peers {
		wg.Go(func() {
			if err := s.exchange(s.ctx, p); err != nil {
				s.log.Debug("user exchange", "peer", p, "err", err)
			}
		})
	}
	wg.Wait()
}

// watchDisconnects marks the records stale when the last member
// disconnects, and again when a first member connects after none (the
// disconnect notice is delivered asynchronously and may come after a
// quick reconnect). It runs in libp2p's notification path, so it only
// flips a flag.
func (s *Sync) watchDisconnects() {
	s.host.Network().Notify(&network.NotifyBundle{
		DisconnectedF: func(n network.Network, _ network.Conn) {
			if len(n.Peers()) == 0 {
				s.fresh.markStale()
			}
		},
		ConnectedF: func(n network.Network, c network.Conn) {
			if len(n.Peers()) == 1 && len(n.ConnsToPeer(c.RemotePeer())) == 1 {
				s.fresh.markStale()
			}
		},
	})
}
