package swarm

import (
	"context"
	"crypto/sha256"
	"fmt"
	"net"
	"net/netip"
	"sync"

	"github.com/anacrolix/torrent"
)

// peerNames gives every peer name a stand-in address for the engine.
//
// anacrolix/torrent identifies peers by IP: it bans the IP of a peer that
// sent a piece failing its hash, and its "smart ban" keys blocks by IP.
// Peer IDs are not IPs (banning one panics inside the engine), and on
// loopback every TCP peer shares 127.0.0.1, so a ban would cut every peer
// at once. So the engine never sees real names: each name maps to an
// address in the unique-local range fdd3::/16 derived from its SHA-256,
// port 1. A peer that serves bad data is banned by that address, which
// means that peer alone, in both directions; the ban lasts while the
// swarm runs.
type peerNames struct {
	mu     sync.Mutex
	byAddr map[netip.AddrPort]string
}

func newPeerNames() *peerNames {
	return &peerNames{byAddr: make(map[netip.AddrPort]string)}
}

// addr returns the stand-in address of a peer name and remembers the name
// for dialling.
func (pn *peerNames) addr(name string) netip.AddrPort {
	ap := standIn(name)
	pn.mu.Lock()
	pn.byAddr[ap] = name
	pn.mu.Unlock()
	return ap
}

// standIn derives a peer name's stand-in address.
func standIn(name string) netip.AddrPort {
	h := sha256.Sum256([]byte(name))
	var a [16]byte
	a[0], a[1] = 0xfd, 0xd3
	copy(a[2:], h[:14])
	return netip.AddrPortFrom(netip.AddrFrom16(a), 1)
}

// name returns the peer name behind a stand-in address string.
func (pn *peerNames) name(addr string) (string, bool) {
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		return "", false
	}
	pn.mu.Lock()
	defer pn.mu.Unlock()
	n, ok := pn.byAddr[ap]
	return n, ok
}

// peerInfos turns peer names into engine peers, leaving out self. They
// are not trusted, so a peer that sends bad pieces is banned.
func (pn *peerNames) peerInfos(self string, peers []string) []torrent.PeerInfo {
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

// engineListener hands the transport's inbound connections to the engine.
type engineListener struct{ net.Listener }

func (l engineListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return namedConn{c, net.TCPAddrFromAddrPort(standIn(c.RemoteAddr().String()))}, nil
}

// engineDialer dials the engine's stand-in addresses through the
// transport.
type engineDialer struct {
	tr    Transport
	names *peerNames
}

func (d engineDialer) Dial(ctx context.Context, addr string) (net.Conn, error) {
	name, ok := d.names.name(addr)
	if !ok {
		return nil, fmt.Errorf("swarm: dial %s: unknown peer", addr)
	}
	c, err := d.tr.Dial(ctx, name)
	if err != nil {
		return nil, err
	}
	a, _ := netip.ParseAddrPort(addr)
	return namedConn{c, net.TCPAddrFromAddrPort(a)}, nil
}

func (engineDialer) DialerNetwork() string { return "tcp" }
