package node

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"path/filepath"
	"strings"

	"github.com/libp2p/go-libp2p/core/network"

	"github.com/libp2p/go-libp2p/core/event"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
	ma "github.com/multiformats/go-multiaddr"

	"github.com/d3s/d3s/catalog"
	"github.com/d3s/d3s/dht"
	"github.com/d3s/d3s/internal/fsutil"
	"github.com/d3s/d3s/node/users"
)

// d3sProtocols are the node's own libp2p protocols; the host raises its
// resource limits for them.
var d3sProtocols = []protocol.ID{users.Protocol, blobProtocol, replicateProtocol, metaProtocol, btProtocol, haveProtocol, releaseProtocol}

// P2PListenAddr turns Config.P2PAddr into a libp2p listen multiaddr: a
// multiaddr is taken as is, host:port becomes /ip4|ip6/HOST/tcp/PORT (an
// empty host means every IPv4 interface), and "" is
// dht.DefaultListenAddr (every interface, an ephemeral port).
func P2PListenAddr(addr string) (string, error) {
	if addr == "" {
		return dht.DefaultListenAddr, nil
	}
	if strings.HasPrefix(addr, "/") {
		if _, err := ma.NewMultiaddr(addr); err != nil {
			return "", fmt.Errorf("p2p address %q: %w", addr, err)
		}
		return addr, nil
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("p2p address %q: %w", addr, err)
	}
	if host == "" {
		host = "0.0.0.0"
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return "", fmt.Errorf("p2p address %q: want an IP address, host:port or a multiaddr", addr)
	}
	ap, err := netip.ParseAddrPort(net.JoinHostPort(ip.String(), port))
	if err != nil {
		return "", fmt.Errorf("p2p address %q: %w", addr, err)
	}
	proto := "ip4"
	if ip.Is6() && !ip.Is4In6() {
		proto = "ip6"
	}
	return fmt.Sprintf("/%s/%s/tcp/%d", proto, ap.Addr().Unmap(), ap.Port()), nil
}

// startP2P starts the libp2p host, the DHT, the user sync and blob
// protocols and the catalogue's sync loops. A node joining with a token
// for the first time must reach a member, else it fails with ErrNoMember;
// any other start logs unreachable peers and goes on (kad-dht retries).
func (n *Node) startP2P(ctx context.Context) error {
	listen, err := P2PListenAddr(n.cfg.P2PAddr)
	if err != nil {
		return fmt.Errorf("node: %w", err)
	}
	h, err := dht.NewHost(dht.HostConfig{
		Key: n.mem.identity, NetworkKey: n.mem.key, ListenAddrs: []string{listen},
		DB: n.db, Protocols: d3sProtocols, Logger: n.root,
	})
	if err != nil {
		return fmt.Errorf("node: %w", err)
	}
	n.host = h
	n.hostp.Store(h)
	n.bt.attach(h) // object data from now on, over the private network only
	n.dht, err = dht.New(dht.Config{Host: n.host, DB: n.db, BootstrapPeers: n.mem.bootstrap, Logger: n.root})
	if err != nil {
		return fmt.Errorf("node: %w", err)
	}
	us := users.NewSync(n.host, n.dht, n.users, n.root)
	n.blobs = newBlobStore(n.db, n.swarm, n.host, n.root)
	if err := us.Run(n.ctx, &n.wg); err != nil {
		return fmt.Errorf("node: %w", err)
	}
	if n.mem.joinedNow {
		if err := n.dht.Bootstrap(ctx, n.mem.bootstrap); err != nil {
			return fmt.Errorf("node: join network: %w: %w", ErrNoMember, err)
		}
	}
	n.dht.Start(ctx)
	n.users.Attach(us)
	if err := n.startTokenFile(); err != nil {
		return err
	}
	n.wg.Go(func() { us.PublishAll(n.ctx) })
	n.host.SetStreamHandler(replicateProtocol, n.tracked(n.handleReplicate))
	n.host.SetStreamHandler(metaProtocol, n.tracked(n.handleMeta))
	n.host.SetStreamHandler(releaseProtocol, n.tracked(n.handleRelease))
	n.host.SetStreamHandler(haveProtocol, n.tracked(n.handleHave))
	n.wg.Go(func() { n.retryLoop(n.ctx) })
	n.wg.Go(func() { n.gcLoop(n.ctx) })
	n.wg.Go(func() { n.orphanLoop(n.ctx) })
	n.wg.Go(func() { n.idleLoop(n.ctx) })
	n.wg.Go(func() { n.repairLoop(n.ctx) })
	n.wg.Go(func() { n.scrubLoop(n.ctx) })
	n.wg.Go(func() { n.rateLoop(n.ctx) })
	n.wg.Go(func() { n.pageOutLoop(n.ctx) })
	return n.startCatalogSync()
}

// startCatalogSync turns the local catalogue into the network one.
func (n *Node) startCatalogSync() error {
	err := n.cat.StartSync(n.ctx, catalog.SyncConfig{
		Records:   dhtRecords{n.dht},
		Blobs:     n.blobs,
		Signer:    n.users,
		NodeID:    n.mem.id.String(),
		Staleness: n.cfg.Staleness,
		// A merge that replaces or purges a version releases its bytes
		// when this node holds them (releaseEntry).
		OnReplaced: func(old *catalog.Entry) { n.releaseEntry(n.ctx, old) },
		Logger:     n.root,
	})
	if err != nil {
		return fmt.Errorf("node: %w", err)
	}
	n.catSync = true
	return nil
}

// Token returns the node's current join token: the network key and this
// node's addresses. It is a secret.
func (n *Node) Token() (string, error) {
	h := n.hostp.Load()
	if h == nil {
		return "", errors.New("node: not started")
	}
	t, err := h.Token(n.mem.key)
	if err != nil {
		return "", err
	}
	return t.Encode(), nil
}

// startTokenFile writes the join token to DataDir/join-token and rewrites
// it whenever the host's addresses change.
func (n *Node) startTokenFile() error {
	sub, err := n.host.EventBus().Subscribe(new(event.EvtLocalAddressesUpdated))
	if err != nil {
		return fmt.Errorf("node: subscribe to address changes: %w", err)
	}
	last := ""
	write := func() {
		tok, err := n.Token()
		if err == nil && tok != last {
			err = fsutil.WriteFileAtomic(filepath.Join(n.cfg.DataDir, JoinTokenFile), []byte(tok+"\n"))
		}
		if err != nil {
			n.log.Warn("write join token", "err", err)
			return
		}
		last = tok
	}
	write()
	n.wg.Go(func() {
		defer sub.Close()
		for {
			select {
			case <-n.ctx.Done():
				return
			case <-sub.Out():
				write()
			}
		}
	})
	return nil
}

// Peers returns the members this node is connected to.
func (n *Node) Peers() []peer.ID {
	h := n.hostp.Load()
	if h == nil {
		return nil
	}
	return h.Network().Peers()
}

// Joined reports whether this data dir joined an existing network with a
// token, rather than founding its own.
func (n *Node) Joined() bool { return n.mem.joined }

// tracked wraps a D3S protocol handler: it runs only while the node is
// open, counted as background work that Close waits for, and the stream
// is closed after it (reset when the node is closing).
func (n *Node) tracked(h network.StreamHandler) network.StreamHandler {
	return func(st network.Stream) {
		defer st.Close()
		if !n.track() {
			st.Reset()
			return
		}
		defer n.bg.Done()
		h(st)
	}
}
