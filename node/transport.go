package node

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

// btProtocol carries BitTorrent peer connections between members. The
// host runs on the private network, so only members reach it: this is
// what keeps object data member-only.
const btProtocol protocol.ID = "/d3s/bt/1.0.0"

// swarmTransport is the swarm.Transport of a node: each BitTorrent
// connection is one libp2p stream, peers are named by peer ID.
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
		return nil, fmt.Errorf("node: bittorrent peer %q: %w", name, err)
	}
	s, err := t.h.NewStream(ctx, id, btProtocol)
	if err != nil {
		return nil, fmt.Errorf("node: bittorrent stream to %s: %w", id, err)
	}
	return streamConn{s}, nil
}

// Listener handles btProtocol until it is closed.
func (t *swarmTransport) Listener() net.Listener {
	l := &streamListener{h: t.h, conns: make(chan net.Conn), done: make(chan struct{})}
	t.h.SetStreamHandler(btProtocol, l.handle)
	return l
}

// streamListener yields inbound btProtocol streams as connections.
type streamListener struct {
	h     host.Host
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func (l *streamListener) handle(s network.Stream) {
	select {
	case l.conns <- streamConn{s}:
	case <-l.done:
		s.Reset()
	}
}

func (l *streamListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *streamListener) Close() error {
	l.once.Do(func() {
		l.h.RemoveStreamHandler(btProtocol)
		close(l.done)
	})
	return nil
}

func (l *streamListener) Addr() net.Addr { return peerAddr(l.h.ID()) }

// streamConn is a libp2p stream as a net.Conn; its addresses are peer IDs.
type streamConn struct{ network.Stream }

func (c streamConn) LocalAddr() net.Addr  { return peerAddr(c.Conn().LocalPeer()) }
func (c streamConn) RemoteAddr() net.Addr { return peerAddr(c.Conn().RemotePeer()) }

// Close ends the stream both ways; written bytes are still delivered.
func (c streamConn) Close() error { return c.Stream.Close() }

// peerAddr names a peer as a net.Addr.
type peerAddr peer.ID

func (a peerAddr) Network() string { return "libp2p" }
func (a peerAddr) String() string  { return peer.ID(a).String() }
