package placement

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync/atomic"
	"time"

	kb "github.com/libp2p/go-libp2p-kbucket"
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

// ErrNoHolder: no reachable member holds the object's data.
var ErrNoHolder = errors.New("placement: no holder of the object reachable")

// PeerSource is what placement needs of the network: the members
// connected now, the members known at all, and a closest-peers lookup for
// networks larger than a routing table's first bucket.
type PeerSource interface {
	// Connected lists the members this node is connected to now.
	Connected() []peer.ID
	// Known lists the members in the routing table and the connected
	// ones, live or not.
	Known() []peer.ID
	// TableSize is the number of peers in the routing table.
	TableSize() int
	// ClosestPeers looks up the peers closest to key in the network.
	ClosestPeers(ctx context.Context, key string) ([]peer.ID, error)
}

// Config configures a Placement.
type Config struct {
	// Self is this node's peer ID.
	Self peer.ID
	// Replicas is R; 0 means DefaultReplicas.
	Replicas int
	// SyncReplicas is how many durable copies a write waits for; 0
	// means DefaultSyncReplicas.
	SyncReplicas int
	// Logger receives debug logs; nil discards them.
	Logger *slog.Logger
}

// Placement computes holders over the members a PeerSource reports.
type Placement struct {
	self         peer.ID
	replicas     int
	syncReplicas int
	log          *slog.Logger
	src          atomic.Pointer[sourceRef]
}

type sourceRef struct{ PeerSource }

// New returns a Placement with cfg's defaults filled; it knows no other
// member until Attach.
func New(cfg Config) *Placement {
	p := &Placement{self: cfg.Self, replicas: cfg.Replicas, syncReplicas: cfg.SyncReplicas, log: cfg.Logger}
	if p.replicas == 0 {
		p.replicas = DefaultReplicas
	}
	if p.syncReplicas == 0 {
		p.syncReplicas = DefaultSyncReplicas
	}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	return p
}

// Attach puts the node on its network: from now on the members src
// reports are candidates.
func (p *Placement) Attach(src PeerSource) { p.src.Store(&sourceRef{src}) }

// Online reports whether the node is on a network (Attach was called).
func (p *Placement) Online() bool { return p.src.Load() != nil }

// Self returns this node's peer ID.
func (p *Placement) Self() peer.ID { return p.self }

// Replicas is R, the configured number of holders per object.
func (p *Placement) Replicas() int { return p.replicas }

// SyncCopies is how many durable copies, the writer's included, a write
// waits for among copies possible (the writer plus the other holders).
func (p *Placement) SyncCopies(possible int) int {
	return max(1, min(p.syncReplicas, possible))
}

// Holders returns the R live members that should hold object id,
// closest first; this node is among them when it is among the closest.
func (p *Placement) Holders(ctx context.Context, id swarm.ID) []peer.ID {
	return p.HoldersAmong(ctx, id, p.Live())
}

// HoldersAmong is Holders with the live members given, so that a repair
// pass over many objects reads the connections once per batch.
func (p *Placement) HoldersAmong(ctx context.Context, id swarm.ID, live []peer.ID) []peer.ID {
	cands := live
	if s := p.src.Load(); s != nil && s.TableSize() > smallNetwork {
		lctx, cancel := context.WithTimeout(ctx, closestLookupTimeout)
		found, err := s.ClosestPeers(lctx, Key(id))
		cancel()
		if err != nil {
			p.log.Debug("closest peers lookup", "id", id, "err", err)
		}
		cands = append(slices.Clone(live), found...)
	}
	return Closest(Key(id), cands, p.replicas)
}

// Live lists this node and the members it is connected to now (every
// peer on the private network holds the network key).
func (p *Placement) Live() []peer.ID {
	live := []peer.ID{p.self}
	s := p.src.Load()
	if s == nil {
		return live
	}
	for _, q := range s.Connected() {
		if !slices.Contains(live, q) {
			live = append(live, q)
		}
	}
	return live
}

// Known lists the members this node knows of, live or not; nil before
// Attach.
func (p *Placement) Known() []peer.ID {
	s := p.src.Load()
	if s == nil {
		return nil
	}
	return s.Known()
}

// Key is the Kademlia key of an object version: its infohash. kad-dht
// hashes keys and peer IDs with SHA-256 before comparing them, and so
// does Closest, so the lookup and the local ordering agree.
func Key(id swarm.ID) string { return string(id[:]) }

// Closest returns the r peers of candidates (duplicates ignored) whose
// Kademlia IDs are XOR-closest to key, closest first.
func Closest(key string, candidates []peer.ID, r int) []peer.ID {
	uniq := make([]peer.ID, 0, len(candidates))
	for _, q := range candidates {
		if q != "" && !slices.Contains(uniq, q) {
			uniq = append(uniq, q)
		}
	}
	sorted := kb.SortClosestPeers(uniq, kb.ConvertKey(key))
	return sorted[:min(r, len(sorted))]
}

// Without returns ps without p.
func Without(ps []peer.ID, p peer.ID) []peer.ID {
	return slices.DeleteFunc(slices.Clone(ps), func(q peer.ID) bool { return q == p })
}
