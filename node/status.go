package node

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/d3s/d3s/node/admin"
	"github.com/d3s/d3s/swarm"
)

// Status reports this node's admin.Status. The held and under-replicated
// figures are those of the last repair pass; the rest is read now.
func (n *Node) Status(ctx context.Context) (admin.Status, error) {
	pending, err := n.repl.Pending()
	if err != nil {
		return admin.Status{}, fmt.Errorf("status: %w", err)
	}
	st := admin.Status{PeerID: n.PeerID(), S3Addr: n.S3Addr(), PendingReplications: pending, Peers: []admin.PeerStatus{}, Addrs: []string{}}
	if st.UnpublishedBuckets, err = n.cat.Unpublished(); err != nil {
		return admin.Status{}, fmt.Errorf("status: %w", err)
	}
	st.Consistency, st.NoQuorum = ConsistencyEventual, n.cat.NoQuorum()
	if n.quorum != nil {
		st.Consistency = ConsistencyStrong
	}
	if h := n.hostp.Load(); h != nil {
		for _, a := range h.Addrs() {
			st.Addrs = append(st.Addrs, a.String())
		}
		st.Peers = peerStatus(h, n.place.Known())
	}
	rs := n.repair.Stats()
	st.HeldObjects, st.HeldBytes = rs.HeldObjects, rs.HeldBytes
	st.UnderReplicated, st.LastRepair = rs.UnderReplicated, rs.LastPass
	st.Corrupt, st.Repaired, st.Damaged = rs.Corrupt, rs.Repaired, rs.Damaged
	sw := n.swarm.Stats()
	st.CachedObjects, st.CachedBytes, st.CacheSize = sw.CachedObjects, sw.CachedBytes, sw.CacheSize
	st.Loaded, st.BytesDown, st.BytesUp = sw.Loaded, sw.BytesDown, sw.BytesUp
	st.RateDown, st.RateUp = n.rates.rates()
	return st, nil
}

// peerStatus lists the known members, connected ones first, each in
// peer ID order.
func peerStatus(h host.Host, known []peer.ID) []admin.PeerStatus {
	out := []admin.PeerStatus{}
	for _, p := range known {
		ps := admin.PeerStatus{ID: p.String(), Addrs: []string{}, Connected: h.Network().Connectedness(p) == network.Connected}
		for _, a := range h.Peerstore().Addrs(p) {
			ps.Addrs = append(ps.Addrs, a.String())
		}
		slices.Sort(ps.Addrs)
		out = append(out, ps)
	}
	slices.SortFunc(out, func(a, b admin.PeerStatus) int {
		if a.Connected != b.Connected {
			if a.Connected {
				return -1
			}
			return 1
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return out
}

// PendingReplications returns how many replications this node still has
// to see confirmed by their holders.
func (n *Node) PendingReplications() (int, error) { return n.repl.Pending() }

// Holds reports whether this node holds the data of the current version
// of key in the user's bucket as one of its holders (it wrote it, or
// replicated it), as opposed to not at all or only in a read cache.
func (n *Node) Holds(ctx context.Context, accessKeyID, bucket, key string) (bool, error) {
	e, err := n.cat.Get(ctx, accessKeyID, bucket, key)
	if err != nil {
		return false, err
	}
	if !n.ledger.HoldsData(e) {
		if ok, err := n.ledger.IsReplica(e.InfoHash); err != nil || !ok {
			return false, err
		}
	}
	_, err = n.swarm.Stat(ctx, e.InfoHash)
	if errors.Is(err, swarm.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// rateWindow is how often the transfer totals are sampled: a rate is the
// difference of the last two samples over the time between them.
const rateWindow = 3 * time.Second

// rateSampler keeps the last two samples of the swarm's transfer totals.
type rateSampler struct {
	mu         sync.Mutex
	prev, last rateSample
}

type rateSample struct {
	at       time.Time
	down, up int64
}

// add records a sample.
func (r *rateSampler) add(s rateSample) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.prev, r.last = r.last, s
}

// rates returns the download and upload rates in bytes per second, zero
// before two samples exist.
func (r *rateSampler) rates() (down, up float64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	dt := r.last.at.Sub(r.prev.at).Seconds()
	if r.prev.at.IsZero() || dt <= 0 {
		return 0, 0
	}
	return float64(r.last.down-r.prev.down) / dt, float64(r.last.up-r.prev.up) / dt
}

// run samples sw's totals every rateWindow until ctx ends.
func (r *rateSampler) run(ctx context.Context, sw *swarm.Swarm) {
	t := time.NewTicker(rateWindow)
	defer t.Stop()
	for {
		s := sw.Stats()
		r.add(rateSample{at: time.Now(), down: s.BytesDown, up: s.BytesUp})
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
