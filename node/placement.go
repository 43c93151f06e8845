package node

import (
	"context"
	"slices"
	"time"

	kb "github.com/libp2p/go-libp2p-kbucket"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/d3s/d3s/swarm"
)

// Placement defaults.
const (
	// DefaultReplicas is Config.Replicas when unset: R, the number of
	// nodes that hold each object version.
	DefaultReplicas = 3
	// DefaultSyncReplicas is Config.SyncReplicas when unset: the copies
	// (the writer's included) a PUT waits for.
	DefaultSyncReplicas = 2
	// closestLookupTimeout bounds a GetClosestPeers lookup, so that dead
	// members cannot stall a PUT or a GET.
	closestLookupTimeout = 5 * time.Second
	// smallNetwork is the routing-table size up to which the connected
	// peers are taken to be every live member (a k-bucket holds 20
	// peers), so holders are computed without a network lookup.
	smallNetwork = 20
)

// placementKey is the Kademlia key of an object version: its infohash.
// kad-dht hashes keys and peer IDs with SHA-256 before comparing them, and
// so does closest, so the lookup and the local ordering agree.
func placementKey(id swarm.ID) string { return string(id[:]) }

// closest returns the r peers of candidates (duplicates ignored) whose
// Kademlia IDs are XOR-closest to key, closest first.
func closest(key string, candidates []peer.ID, r int) []peer.ID {
	uniq := make([]peer.ID, 0, len(candidates))
	for _, p := range candidates {
		if p != "" && !slices.Contains(uniq, p) {
			uniq = append(uniq, p)
		}
	}
	sorted := kb.SortClosestPeers(uniq, kb.ConvertKey(key))
	return sorted[:min(r, len(sorted))]
}

// holders returns the R live members that should hold object id,
// closest first; this node is among them when it is among the closest.
// Live means connected now (liveMembers): a member that died stops being
// a holder as soon as its connections drop, so writes and the repair loop
// route copies to members that can take them. Networks larger than a
// routing table's first bucket add a bounded GetClosestPeers lookup.
// Without a network (before Start) the only holder is this node.
func (n *Node) holders(ctx context.Context, id swarm.ID) []peer.ID {
	return n.holdersAmong(ctx, id, n.liveMembers())
}

// holdersAmong is holders with the live members given, so that a repair
// pass over many objects reads the connections once per batch.
func (n *Node) holdersAmong(ctx context.Context, id swarm.ID, live []peer.ID) []peer.ID {
	cands := live
	if n.dht != nil && n.dht.Kad().RoutingTable().Size() > smallNetwork {
		lctx, cancel := context.WithTimeout(ctx, closestLookupTimeout)
		found, err := n.dht.Kad().GetClosestPeers(lctx, placementKey(id))
		cancel()
		if err != nil {
			n.log.Debug("closest peers lookup", "id", id, "err", err)
		}
		cands = append(slices.Clone(live), found...)
	}
	return closest(placementKey(id), cands, n.replicas())
}

// liveMembers lists this node and the members it is connected to now
// (every peer on the private network holds the network key).
func (n *Node) liveMembers() []peer.ID {
	live := []peer.ID{n.mem.id}
	if n.host == nil {
		return live
	}
	nw := n.host.Network()
	for _, p := range nw.Peers() {
		if nw.Connectedness(p) == network.Connected && !slices.Contains(live, p) {
			live = append(live, p)
		}
	}
	return live
}

// knownMembers lists the members this node knows of: its routing table
// and the peers it is connected to, live or not (Status shows them).
func (n *Node) knownMembers() []peer.ID {
	if n.dht == nil || n.host == nil {
		return nil
	}
	ps := n.dht.Kad().RoutingTable().ListPeers()
	for _, p := range n.host.Network().Peers() {
		if !slices.Contains(ps, p) {
			ps = append(ps, p)
		}
	}
	return ps
}

// replicas is R, the configured number of holders per object.
func (n *Node) replicas() int {
	if n.cfg.Replicas > 0 {
		return n.cfg.Replicas
	}
	return DefaultReplicas
}

// syncCopies is how many durable copies, the writer's included, a write
// waits for among copies possible (the writer plus the other holders).
func (n *Node) syncCopies(possible int) int {
	want := n.cfg.SyncReplicas
	if want == 0 {
		want = DefaultSyncReplicas
	}
	return max(1, min(want, possible))
}
