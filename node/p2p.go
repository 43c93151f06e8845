package node

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"path/filepath"
	"slices"
	"strings"

	"github.com/d3s/d3s/node/collect"
	"github.com/d3s/d3s/node/remote"
	"github.com/d3s/d3s/node/repair"
	"github.com/d3s/d3s/node/replicate"

	"github.com/libp2p/go-libp2p/core/network"

	"github.com/libp2p/go-libp2p/core/event"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
	ma "github.com/multiformats/go-multiaddr"

	"github.com/d3s/d3s/catalog"
	"github.com/d3s/d3s/dht"
	"github.com/d3s/d3s/internal/fsutil"
	"github.com/d3s/d3s/internal/pageout"
	"github.com/d3s/d3s/node/catalognet"
	"github.com/d3s/d3s/node/p2p"
	"github.com/d3s/d3s/node/placement"
	"github.com/d3s/d3s/node/quorum"
	"github.com/d3s/d3s/node/users"
)

// d3sProtocols are the node's own libp2p protocols; the host raises its
// resource limits for them.
var d3sProtocols = []protocol.ID{users.Protocol, catalognet.BlobProtocol, replicate.Protocol, remote.Protocol, p2p.BTProtocol, repair.HaveProtocol, collect.ReleaseProtocol, quorum.Protocol}

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
	n.bt.Attach(h) // object data from now on, over the private network only
	n.dht, err = dht.New(dht.Config{Host: n.host, DB: n.db, BootstrapPeers: n.mem.bootstrap, Logger: n.root})
	if err != nil {
		return fmt.Errorf("node: %w", err)
	}
	us := users.NewSync(n.life.Context(), n.host, n.dht, n.users, n.root)
	n.blobs = catalognet.NewBlobs(n.life.Context(), n.db, n.swarm, n.host, n.root)
	if err := us.Run(n.life.Context(), &n.syncWG); err != nil {
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
	n.life.Loop(us.PublishAll)
	n.place.Attach(peerSource{n.host, n.dht})
	n.repl.Start(n.host)
	n.remote.Start(n.host)
	n.collect.Start(n.host)
	n.repair.Start(n.host)
	n.attachBlobs()
	if n.cfg.Consistency != ConsistencyEventual {
		n.quorum = quorum.New(quorum.Config{DB: n.db, Self: n.mem.id, Members: n.members, Life: n.life, Logger: n.root})
		n.quorum.Start(n.host)
	}
	n.life.Loop(func(ctx context.Context) { n.rates.run(ctx, n.swarm) })
	n.life.Loop(func(ctx context.Context) {
		pageout.Run(ctx, filepath.Join(n.cfg.DataDir, "db"), n.s3Requests.Load, n.root)
	})
	return n.startCatalogSync()
}

// attachBlobs places catalogue snapshot blobs like objects: on their
// holders, with the writes' durable copies, collected once no manifest
// lists them.
func (n *Node) attachBlobs() {
	n.blobs.Attach(catalognet.Network{
		Holders: n.place.Holders, Alone: n.alone,
		Replicate: n.repl.Replicate, Retire: n.collect.RetireBlob,
	})
}

// members lists every member this node knows, connected or not: a
// strong-mode majority is counted over all of them.
func (n *Node) members() []peer.ID {
	ps := n.place.Known()
	if known, err := n.host.KnownPeers(); err == nil {
		for _, ai := range known {
			ps = append(ps, ai.ID)
		}
	}
	return ps
}

// quorumOrNil is the catalogue's Quorum: nil in eventual mode.
func (n *Node) quorumOrNil() catalog.Quorum {
	if n.quorum == nil {
		return nil
	}
	return n.quorum
}

// alone reports whether no other member is connected while other
// members are known: what this node stores now is on it only, and what
// it does not find in the DHT may exist.
func (n *Node) alone() bool {
	return len(n.place.Live()) < 2 && len(placement.Without(n.place.Known(), n.mem.id)) > 0
}

// startCatalogSync turns the local catalogue into the network one.
func (n *Node) startCatalogSync() error {
	ctx := n.life.Context()
	err := n.cat.StartSync(ctx, catalog.SyncConfig{
		Records:   catalognet.Records{DHT: n.dht, Alone: n.alone},
		Quorum:    n.quorumOrNil(),
		Blobs:     n.blobs,
		Signer:    n.users,
		NodeID:    n.mem.id.String(),
		Staleness: n.cfg.Staleness,
		// A merge that replaces or purges a version releases its bytes
		// when this node holds them (ledger.ReleaseEntry).
		OnReplaced: func(old *catalog.Entry) { n.ledger.ReleaseEntry(ctx, old) },
		Logger:     n.root,
	})
	if err != nil {
		return fmt.Errorf("node: %w", err)
	}
	n.catSync = true
	n.life.Loop(func(ctx context.Context) {
		catalognet.RejoinLoop(ctx, n.host.Host, n.cat.Rejoin, n.log)
	})
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
	n.life.Loop(func(ctx context.Context) {
		defer sub.Close()
		for {
			select {
			case <-ctx.Done():
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

// peerSource is placement's view of the network: the host's connections
// and the DHT's routing table.
type peerSource struct {
	host *dht.Host
	dht  *dht.DHT
}

// Connected lists the members connected now.
func (s peerSource) Connected() []peer.ID {
	nw := s.host.Network()
	var out []peer.ID
	for _, p := range nw.Peers() {
		if nw.Connectedness(p) == network.Connected {
			out = append(out, p)
		}
	}
	return out
}

// Known lists the routing table and the connected peers, live or not.
func (s peerSource) Known() []peer.ID {
	ps := s.dht.Kad().RoutingTable().ListPeers()
	for _, p := range s.host.Network().Peers() {
		if !slices.Contains(ps, p) {
			ps = append(ps, p)
		}
	}
	return ps
}

// TableSize is the routing table's size.
func (s peerSource) TableSize() int { return s.dht.Kad().RoutingTable().Size() }

// ClosestPeers runs a GetClosestPeers lookup.
func (s peerSource) ClosestPeers(ctx context.Context, key string) ([]peer.ID, error) {
	return s.dht.Kad().GetClosestPeers(ctx, key)
}
