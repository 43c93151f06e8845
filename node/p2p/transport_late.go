package p2p

import (
	"context"
	"net"
	"sync"

	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"
)

// LateTransport is a node's swarm.Transport from the node's New on. The
// swarm opens in New, so the store works before Start, but the libp2p
// host exists only after Start: until Attach, nothing is accepted and
// dials wait. The swarm never gets a plain TCP transport, so object data
// only ever travels over the private network.
type LateTransport struct {
	self  peer.ID
	ready chan struct{} // closed by Attach
	done  chan struct{} // closed by the listener's Close
	mu    sync.Mutex
	t     *swarmTransport
	inner net.Listener // BTProtocol listener, once attached
}

// NewLateTransport returns a transport for the node whose peer ID is
// self, carrying nothing until Attach.
func NewLateTransport(self peer.ID) *LateTransport {
	return &LateTransport{self: self, ready: make(chan struct{}), done: make(chan struct{})}
}

// Attach starts carrying connections over h, a host on the private
// network; later calls, and calls after the listener was closed, do
// nothing.
func (l *LateTransport) Attach(h host.Host) {
	l.mu.Lock()
	defer l.mu.Unlock()
	select {
	case <-l.ready:
		return
	case <-l.done:
		return // the swarm closed first: serve nothing
	default:
	}
	l.t = newSwarmTransport(h)
	l.inner = l.t.Listener()
	close(l.ready)
}

// Self returns the node's peer ID, known before the host starts.
func (l *LateTransport) Self() string { return l.self.String() }

// Dial waits for the host, then opens a BTProtocol stream.
func (l *LateTransport) Dial(ctx context.Context, name string) (net.Conn, error) {
	select {
	case <-l.ready:
		return l.t.Dial(ctx, name)
	case <-l.done:
		return nil, net.ErrClosed
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Listener returns the one listener of this transport.
func (l *LateTransport) Listener() net.Listener { return lateListener{l} }

// lateListener is LateTransport's listener: it accepts once attached.
type lateListener struct{ l *LateTransport }

// Accept waits for Attach, then returns the next inbound stream;
// net.ErrClosed once closed.
func (ll lateListener) Accept() (net.Conn, error) {
	select {
	case <-ll.l.ready:
		return ll.l.inner.Accept()
	case <-ll.l.done:
		return nil, net.ErrClosed
	}
}

// Close stops accepting, before or after Attach; later calls do nothing.
func (ll lateListener) Close() error {
	l := ll.l
	l.mu.Lock()
	defer l.mu.Unlock()
	select {
	case <-l.done:
		return nil
	default:
	}
	close(l.done)
	if l.inner != nil {
		return l.inner.Close()
	}
	return nil
}

// Addr returns the node's peer ID.
func (ll lateListener) Addr() net.Addr { return peerAddr(ll.l.self) }
