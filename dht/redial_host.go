package dht

import (
	"context"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/p2p/muxer/yamux"
)

// Keepalive of every connection's yamux session. A connection whose peer
// stopped answering (a partition drops packets silently, TCP notices
// nothing) is closed within about keepaliveInterval + keepaliveTimeout,
// so that the node stops counting that peer as a live member (placement
// chooses holders among connected members) and the redialer takes over.
// yamux's defaults (30 s + 10 s) made a write at the moment of a
// partition wait 28–40 s for a holder across the cut. A session that
// receives data does not ping.
const (
	keepaliveInterval = 2 * time.Second
	keepaliveTimeout  = 5 * time.Second
)

// muxer is go-libp2p's yamux transport with the keepalive above.
func muxer() *yamux.Transport {
	c := *yamux.DefaultTransport
	c.EnableKeepAlive = true
	c.KeepAliveInterval = keepaliveInterval
	c.ConnectionWriteTimeout = keepaliveTimeout
	return &c
}

// newHostRedialer returns the redialer of d: the members it knows are the
// peers its host stored, its routing table and the peers with addresses
// in its peerstore (members learned from other members); a member
// redialled is put back in the routing table.
func (d *DHT) newHostRedialer(cfg RedialConfig) *redialer {
	h := d.cfg.Host
	r := newRedialer(cfg)
	r.candidates = func() []peer.AddrInfo { return d.members() }
	r.connected = func(p peer.ID) bool { return h.Network().Connectedness(p) == network.Connected }
	r.conns = func() int { return len(h.Network().Peers()) }
	r.dial = d.redial
	return r
}

// members lists every member this node knows of but itself: stored
// peers first (most recently seen first), then the routing table's and
// the peerstore's, with the addresses the peerstore holds.
func (d *DHT) members() []peer.AddrInfo {
	h := d.cfg.Host
	known, err := h.KnownPeers()
	if err != nil {
		d.log.Warn("load known peers", "err", err)
	}
	seen := map[peer.ID]bool{h.ID(): true}
	var out []peer.AddrInfo
	for _, p := range known {
		if !seen[p.ID] {
			seen[p.ID] = true
			out = append(out, p)
		}
	}
	more := append(d.kad.RoutingTable().ListPeers(), h.Peerstore().PeersWithAddrs()...)
	for _, p := range more {
		if !seen[p] {
			seen[p] = true
			out = append(out, peer.AddrInfo{ID: p})
		}
	}
	return out
}

// redial dials member p, ignoring libp2p's dial backoff (which grows to
// 5 minutes after repeated failures: the redialer has its own, bounded
// one), and puts p back in the routing table: kad-dht adds a peer only
// after a lookup check of its own, and evicts peers that failed its
// refresh during a partition.
func (d *DHT) redial(ctx context.Context, p peer.AddrInfo) error {
	ctx = network.WithForceDirectDial(ctx, "d3s: redial a known member")
	if err := d.cfg.Host.Connect(ctx, p); err != nil {
		d.log.Debug("redial member", "peer", p.ID, "err", err)
		return err
	}
	if d.kad.RoutingTable().Find(p.ID) == "" {
		if _, err := d.kad.RoutingTable().TryAddPeer(p.ID, true, false); err != nil {
			d.log.Debug("add redialled member to routing table", "peer", p.ID, "err", err)
		}
	}
	d.log.Info("member reconnected", "peer", p.ID)
	return nil
}
