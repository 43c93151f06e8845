package p2p

import (
	"context"
	"fmt"
	"net"
	"sync"

	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
)

// BTProtocol carries BitTorrent peer connections between members. The
// host runs on the private network, so only members reach it: this is
// what keeps object data member-only.
const BTProtocol protocol.ID = "/d3s/bt/1.0.0"

// swarmTransport is a swarm.Transport over a started host (LateTransport
// wraps it): each BitTorrent connection is one libp2p stream, peers are
// named by peer ID.
type swarmTransport struct {
	h host.Host
}

func newSwarmTransport(h host.Host) *swarmTransport { return &swarmTransport{h: h} }

// Self returns the host's peer ID.
func (t *swarmTransport) Self() string { return t.h.ID().String() }

// Dial opens a stream to the peer named by its ID.
func (t *swarmTransport) Dial(ctx context.Context, name string) (net.Conn, error) {
	id, err := peer.Decode(name)
	if err != nil {
		return nil, fmt.Errorf("p2p: bittorrent peer %q: %w", name, err)
	}
	s, err := t.h.NewStream(ctx, id, BTProtocol)
	if err != nil {
		return nil, fmt.Errorf("p2p: bittorrent stream to %s: %w", id, err)
	}
	return streamConn{s}, nil
}

// Listener handles BTProtocol until it is closed.
func (t *swarmTransport) Listener() net.Listener {
	l := &streamListener{h: t.h, conns: make(chan net.Conn), done: make(chan struct{})}
	t.h.SetStreamHandler(BTProtocol, l.handle)
	return l
}

// streamListener yields inbound BTProtocol streams as connections.
type streamListener struct {
	h     host.Host
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

// handle hands an inbound stream to Accept, or resets it once closed.
func (l *streamListener) handle(s network.Stream) {
	select {
	case l.conns <- streamConn{s}:
	case <-l.done:
		s.Reset()
	}
}

// Accept returns the next inbound stream, or net.ErrClosed.
func (l *streamListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

// Close stops handling BTProtocol; later calls do nothing.
func (l *streamListener) Close() error {
	l.once.Do(func() {
		l.h.RemoveStreamHandler(BTProtocol)
		close(l.done)
	})
	return nil
}

// Addr returns the host's peer ID.
func (l *streamListener) Addr() net.Addr { return peerAddr(l.h.ID()) }

// streamConn is a libp2p stream as a net.Conn; its addresses are peer IDs.
type streamConn struct{ network.Stream }

// LocalAddr returns this host's peer ID.
func (c streamConn) LocalAddr() net.Addr { return peerAddr(c.Conn().LocalPeer()) }

// RemoteAddr returns the other end's peer ID.
func (c streamConn) RemoteAddr() net.Addr { return peerAddr(c.Conn().RemotePeer()) }

// Close ends the stream both ways; written bytes are still delivered.
func (c streamConn) Close() error { return c.Stream.Close() }

// peerAddr names a peer as a net.Addr.
type peerAddr peer.ID

// Network returns "libp2p".
func (a peerAddr) Network() string { return "libp2p" }

// String returns the peer ID in its text form.
func (a peerAddr) String() string { return peer.ID(a).String() }
