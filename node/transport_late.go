package node

import (
	"context"
	"net"
	"sync"

	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"
)

// lateTransport is the swarm's transport from New on. The swarm opens in
// New, so the store works before Start, but the libp2p host exists only
// after Start: until attach, nothing is accepted and dials wait. The swarm
// never gets a plain TCP transport, so object data only ever travels over
// the private network.
type lateTransport struct {
	self  peer.ID
	ready chan struct{} // closed by attach
	done  chan struct{} // closed by the listener's Close
	mu    sync.Mutex
	t     *swarmTransport
	inner net.Listener // btProtocol listener, once attached
}

func newLateTransport(self peer.ID) *lateTransport {
	return &lateTransport{self: self, ready: make(chan struct{}), done: make(chan struct{})}
}

// attach starts carrying connections over h; later calls do nothing.
func (l *lateTransport) attach(h host.Host) {
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
func (l *lateTransport) Self() string { return l.self.String() }

// Dial waits for the host, then opens a btProtocol stream.
func (l *lateTransport) Dial(ctx context.Context, name string) (net.Conn, error) {
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
func (l *lateTransport) Listener() net.Listener { return lateListener{l} }

type lateListener struct{ l *lateTransport }

func (ll lateListener) Accept() (net.Conn, error) {
	select {
	case <-ll.l.ready:
		return ll.l.inner.Accept()
	case <-ll.l.done:
		return nil, net.ErrClosed
	}
}

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

func (ll lateListener) Addr() net.Addr { return peerAddr(ll.l.self) }
