package dht

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
)

// Bootstrap bounds.
const (
	// dialTimeout bounds one bootstrap dial.
	dialTimeout = 10 * time.Second
	// routingWait bounds how long Bootstrap waits for the routing table to
	// take in a connected peer.
	routingWait = 5 * time.Second
)

// Bootstrap connects to peers (in parallel) and refreshes the routing
// table. It returns once at least one peer is connected and in the routing
// table, or an error when none of them can be reached (a wrong network key
// looks like that: the handshake fails).
func (d *DHT) Bootstrap(ctx context.Context, peers []peer.AddrInfo) error {
	if len(peers) == 0 {
		return errors.New("dht: bootstrap: no peers")
	}
	var ok atomic.Int32
	var wg sync.WaitGroup
	errs := make([]error, len(peers))
	for i, p := range peers {
		if p.ID == d.cfg.Host.ID() {
			continue
		}
		wg.Go(func() {
			dctx, cancel := context.WithTimeout(ctx, dialTimeout)
			defer cancel()
			if errs[i] = d.cfg.Host.Connect(dctx, p); errs[i] == nil {
				ok.Add(1)
			}
		})
	}
	wg.Wait()
	if ok.Load() == 0 {
		return fmt.Errorf("dht: bootstrap: no peer reachable: %w", errors.Join(errs...))
	}
	d.kad.RefreshRoutingTable()
	return d.waitRouting(ctx)
}

// waitRouting waits until the routing table holds a peer.
func (d *DHT) waitRouting(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, routingWait)
	defer cancel()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for d.kad.RoutingTable().Size() == 0 {
		select {
		case <-ctx.Done():
			return fmt.Errorf("dht: bootstrap: connected, but no peer entered the routing table: %w", ctx.Err())
		case <-tick.C:
		}
	}
	return nil
}
