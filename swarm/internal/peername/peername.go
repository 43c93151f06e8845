package peername

import (
	"context"
	"crypto/sha256"
	"fmt"
	"net"
	"net/netip"
	"sync"

	"github.com/anacrolix/torrent"
)

// Names gives every peer name a stand-in address for the engine and
// remembers the name behind each address it gave out.
type Names struct {
	mu     sync.Mutex
	byAddr map[netip.AddrPort]string
}

// New returns an empty set of names.
func New() *Names {
	return &Names{byAddr: make(map[netip.AddrPort]string)}
}

// addr returns the stand-in address of a peer name and remembers the name
// for dialling.
func (pn *Names) addr(name string) netip.AddrPort {
	ap := StandIn(name)
	pn.mu.Lock()
	pn.byAddr[ap] = name
	pn.mu.Unlock()
	return ap
}

// StandIn derives a peer name's stand-in address.
func StandIn(name string) netip.AddrPort {
	h := sha256.Sum256([]byte(name))
	var a [16]byte
	a[0], a[1] = 0xfd, 0xd3
	copy(a[2:], h[:14])
	return netip.AddrPortFrom(netip.AddrFrom16(a), 1)
}

// Name returns the peer name behind a stand-in address string.
func (pn *Names) Name(addr string) (string, bool) {
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		return "", false
	}
	pn.mu.Lock()
	defer pn.mu.Unlock()
	n, ok := pn.byAddr[ap]
	return n, ok
}

// PeerInfos turns peer names into engine peers, leaving out self. They
// are not trusted, so a peer that sends bad pieces is banned.
func (pn *Names) PeerInfos(self string, peers []string) []torrent.PeerInfo {
	out := make([]torrent.PeerInfo, 0, len(peers))
	for _, p := range peers {
		if p != "" && p != self {
			out = append(out, torrent.PeerInfo{Addr: net.TCPAddrFromAddrPort(pn.addr(p))})
		}
	}
	return out
}

// namedConn shows the engine a connection's stand-in remote address.
type namedConn struct {
	net.Conn
	remote net.Addr
}

func (c namedConn) RemoteAddr() net.Addr { return c.remote }

// Listener hands the transport's inbound connections to the engine,
// each showing its peer's stand-in address.
type Listener struct{ net.Listener }

// Accept returns the next inbound connection.
func (l Listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return namedConn{c, net.TCPAddrFromAddrPort(StandIn(c.RemoteAddr().String()))}, nil
}

// DialFunc opens a connection to a named peer (the swarm's Transport).
type DialFunc func(ctx context.Context, peer string) (net.Conn, error)

// Dialer dials the engine's stand-in addresses through the transport.
type Dialer struct {
	dial  DialFunc
	names *Names
}

// NewDialer returns a Dialer that dials the names behind stand-in
// addresses with dial.
func NewDialer(dial DialFunc, names *Names) Dialer { return Dialer{dial: dial, names: names} }

// Dial opens a connection to the peer behind a stand-in address.
func (d Dialer) Dial(ctx context.Context, addr string) (net.Conn, error) {
	name, ok := d.names.Name(addr)
	if !ok {
		return nil, fmt.Errorf("swarm: dial %s: unknown peer", addr)
	}
	c, err := d.dial(ctx, name)
	if err != nil {
		return nil, err
	}
	a, _ := netip.ParseAddrPort(addr)
	return namedConn{c, net.TCPAddrFromAddrPort(a)}, nil
}

// DialerNetwork tells the engine the dialer's network.
func (Dialer) DialerNetwork() string { return "tcp" }
