package dht

import (
	"fmt"
	"maps"

	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/protocol"
	rcmgr "github.com/libp2p/go-libp2p/p2p/host/resource-manager"
)

// KadProtocol is the kad-dht protocol of D3S networks (kad-dht appends
// "/kad/1.0.0" to the "/d3s" prefix).
const KadProtocol protocol.ID = "/d3s/kad/1.0.0"

// Resource limits. libp2p's defaults are sized for the public IPFS network,
// where every peer is a stranger: about 75 streams per peer on a custom
// protocol. In a D3S network every peer holds the network key, and one
// member replicating or listing a busy bucket opens hundreds of streams to
// another, so per-peer and per-protocol limits are raised for D3S
// protocols, while the system-wide limits keep libp2p's memory scaling.
var (
	d3sPeerLimit = rcmgr.BaseLimit{
		Streams: 4096, StreamsInbound: 2048, StreamsOutbound: 2048,
		Conns: 16, ConnsInbound: 8, ConnsOutbound: 8,
		FD: 16, Memory: 256 << 20,
	}
	d3sProtocolLimit = rcmgr.BaseLimit{
		Streams: 16384, StreamsInbound: 8192, StreamsOutbound: 8192,
		Memory: 512 << 20,
	}
	d3sProtocolPeerLimit = rcmgr.BaseLimit{
		Streams: 2048, StreamsInbound: 1024, StreamsOutbound: 1024,
		Memory: 128 << 20,
	}
)

// newResourceManager returns a resource manager with libp2p's default
// scaling limits, raised per peer, and raised again for KadProtocol and
// every one of protocols (D3S's own stream protocols).
func newResourceManager(protocols []protocol.ID) (network.ResourceManager, error) {
	limits := rcmgr.DefaultLimits
	// DefaultLimits is a package variable: clone its maps before adding.
	limits.ServiceLimits = maps.Clone(limits.ServiceLimits)
	limits.ServicePeerLimits = maps.Clone(limits.ServicePeerLimits)
	limits.ProtocolLimits = maps.Clone(limits.ProtocolLimits)
	limits.ProtocolPeerLimits = maps.Clone(limits.ProtocolPeerLimits)
	limits.PeerLimits = maps.Clone(limits.PeerLimits)
	libp2p.SetDefaultServiceLimits(&limits)
	limits.PeerBaseLimit = d3sPeerLimit
	for _, p := range append([]protocol.ID{KadProtocol}, protocols...) {
		limits.AddProtocolLimit(p, d3sProtocolLimit, rcmgr.BaseLimitIncrease{})
		limits.AddProtocolPeerLimit(p, d3sProtocolPeerLimit, rcmgr.BaseLimitIncrease{})
	}
	rm, err := rcmgr.NewResourceManager(rcmgr.NewFixedLimiter(limits.AutoScale()))
	if err != nil {
		return nil, fmt.Errorf("resource manager: %w", err)
	}
	return rm, nil
}
