package dht

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/d3s/d3s/dht/record"
	"github.com/libp2p/go-libp2p-kad-dht/records"
	p2precord "github.com/libp2p/go-libp2p-record"
	recpb "github.com/libp2p/go-libp2p-record/pb"
	"github.com/libp2p/go-libp2p/core/peer"
)

// Put validates value, stores it locally and on the peers closest to key,
// and returns once at least one of those peers confirmed it has stored it
// (kad-dht's own PutValue returns nil even when no peer did). A node alone
// in its network stores the record locally only; republishing spreads it
// once peers join. Errors wrap a validation sentinel,
// record.ErrStaleRecord (this node has seen or holds a better record for
// key: re-read and merge) or ErrNotStored.
func (d *DHT) Put(ctx context.Context, key string, value []byte) error {
	if err := d.validator.Validate(key, value); err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	if _, err := d.accept(key, value); err != nil {
		return fmt.Errorf("put: %w", err)
	}
	rec := p2precord.MakePutRecord(key, value)
	if err := d.values.Put(ctx, key, rec); errors.Is(err, records.ErrOldRecord) {
		return fmt.Errorf("put %s: %w: this node holds a better record", key, record.ErrStaleRecord)
	} else if err != nil {
		return fmt.Errorf("put %s locally: %w", key, err)
	}
	if d.kad.RoutingTable().Size() == 0 {
		return nil
	}
	peers, err := d.kad.GetClosestPeers(ctx, key)
	if err != nil {
		return fmt.Errorf("put %s: find peers: %w: %w", key, ErrNotStored, err)
	}
	return d.putPeers(ctx, key, rec, peers)
}

// putPeers sends rec to peers in parallel and succeeds when one stored it.
func (d *DHT) putPeers(ctx context.Context, key string, rec *recpb.Record, peers []peer.ID) error {
	var stored atomic.Int32
	var wg sync.WaitGroup
	errs := make([]error, len(peers))
	for i, p := range peers {
		wg.Go(func() {
			pctx, cancel := context.WithTimeout(ctx, d.cfg.PutTimeout)
			defer cancel()
			if errs[i] = d.msgr.PutValue(pctx, p, rec); errs[i] == nil {
				stored.Add(1)
			}
		})
	}
	wg.Wait()
	if stored.Load() == 0 && len(peers) > 0 {
		return fmt.Errorf("put %s to %d peers: %w: %w", key, len(peers), ErrNotStored, errors.Join(errs...))
	}
	d.log.Debug("put", "key", key, "peers", len(peers), "stored", stored.Load())
	return nil
}

// Get returns the best record for key: the network's answer, unless this
// node has already seen a better one, which it then returns instead (it
// never goes back to an older record). When the network has no record, or
// cannot be reached, the remembered record is the answer; with neither the
// error wraps ErrNotFound.
func (d *DHT) Get(ctx context.Context, key string) ([]byte, error) {
	val, netErr := d.kad.GetValue(ctx, key)
	if netErr == nil {
		best, err := d.accept(key, val)
		if err == nil || errors.Is(err, record.ErrStaleRecord) {
			return best, nil
		}
		d.log.Warn("invalid record from the network", "key", key, "err", err)
		netErr = err
	}
	old, err := d.seen.get(key)
	if err != nil {
		return nil, err
	}
	if old == nil {
		return nil, fmt.Errorf("get %s: %w: %w", key, ErrNotFound, netErr)
	}
	return old, nil
}

// accept is the reader's check of a record found under key: it validates
// value and compares it with the best record this node remembers for key.
// A better or first record is remembered and returned. An older one (a
// replay, or an equal sequence that loses the tie-break) fails with
// record.ErrStaleRecord, and the remembered record comes back with the
// error.
func (d *DHT) accept(key string, value []byte) ([]byte, error) {
	if err := d.validator.Validate(key, value); err != nil {
		return nil, fmt.Errorf("record %s: %w", key, err)
	}
	kept, err := d.seen.remember(key, value, func(v, old []byte) bool {
		i, err := d.validator.Select(key, [][]byte{old, v})
		return err == nil && i == 1
	})
	if err != nil {
		return nil, err
	}
	if string(kept) != string(value) {
		return kept, fmt.Errorf("record %s: %w", key, record.ErrStaleRecord)
	}
	return kept, nil
}
