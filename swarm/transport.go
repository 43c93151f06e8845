package swarm

import (
	"context"
	"fmt"
	"net"
	"net/netip"
)

// Transport carries BitTorrent peer connections between network members.
// Peers are named by an opaque string: a libp2p peer ID in a node,
// "ip:port" for the default TCP transport (tests, and Config.Transport ==
// nil).
type Transport interface {
	// Listener yields connections from other members; the swarm serves
	// them. It is called once, by New, and the swarm closes the listener
	// when it closes.
	Listener() net.Listener
	// Dial opens a connection to the named peer.
	Dial(ctx context.Context, peer string) (net.Conn, error)
	// Self is this node's own peer name (so it is never dialled).
	Self() string
}

// tcpTransport is the default Transport: plain TCP, peers named
// "ip:port". It authenticates nobody, so nodes use an authenticated
// Transport instead.
type tcpTransport struct {
	ln   *net.TCPListener
	addr netip.AddrPort
	dial net.Dialer
}

// listenTCP listens on addr, host:port; "" means "127.0.0.1:0".
func listenTCP(addr string) (*tcpTransport, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("swarm: listen %q: %w", addr, err)
	}
	tl := ln.(*net.TCPListener)
	return &tcpTransport{ln: tl, addr: tl.Addr().(*net.TCPAddr).AddrPort()}, nil
}

func (t *tcpTransport) Listener() net.Listener { return t.ln }

func (t *tcpTransport) Dial(ctx context.Context, peer string) (net.Conn, error) {
	return t.dial.DialContext(ctx, "tcp", peer)
}

func (t *tcpTransport) Self() string { return t.addr.String() }

// Addr returns the listen address of the default TCP transport; it is
// the zero AddrPort when Config.Transport is set (see Self).
func (s *Swarm) Addr() netip.AddrPort { return s.eng.addr }
