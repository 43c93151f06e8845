package quorum

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/d3s/d3s/catalog"
)

// maxLeases bounds the leases one member keeps; expired ones are
// dropped first.
const maxLeases = 1 << 16

// lease is one lease a member granted.
type lease struct {
	nonce  [16]byte
	expiry time.Time
}

// leaseMargin is how much earlier than ttl after sending its request a
// holder stops trusting its lease: members count ttl from when the
// request reached them, later; the margin covers their clocks running
// faster.
func leaseMargin(ttl time.Duration) time.Duration { return ttl/50 + 10*time.Millisecond }

// grant grants name to the holder nonce for ttl unless another holder's
// lease runs, or this member started less than maxLeaseTTL ago.
func (q *Quorum) grant(name string, nonce [16]byte, ttl time.Duration) *response {
	now := time.Now()
	if now.Before(q.readyAt) {
		return &response{status: stNotReady}
	}
	if ttl <= 0 {
		return &response{status: stError, msg: "lease ttl not positive"}
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if end := now.Add(min(ttl, maxLeaseTTL)); end.After(q.grantedUntil) {
		// Before the grant, for the next run: at most one write a second.
		until := end.Add(time.Second)
		if err := q.storeGrantedUntil(until); err != nil {
			return &response{status: stError, msg: "store lease horizon: " + err.Error()}
		}
		q.grantedUntil = until
	}
	if l, ok := q.leases[name]; ok && l.nonce != nonce && now.Before(l.expiry) {
		return &response{status: stHeld}
	}
	if len(q.leases) >= maxLeases {
		maps.DeleteFunc(q.leases, func(_ string, l lease) bool { return !now.Before(l.expiry) })
		if len(q.leases) >= maxLeases {
			return &response{status: stError, msg: "too many leases"}
		}
	}
	q.leases[name] = lease{nonce: nonce, expiry: now.Add(min(ttl, maxLeaseTTL))}
	return &response{status: stAccepted}
}

// release ends the lease of name if nonce holds it.
func (q *Quorum) release(name string, nonce [16]byte) *response {
	q.mu.Lock()
	defer q.mu.Unlock()
	if l, ok := q.leases[name]; ok && l.nonce == nonce {
		delete(q.leases, name)
	}
	return &response{status: stAccepted}
}

// Lease takes an exclusive lease on name from a majority of the
// members for at most ttl (capped at MaxLeaseTTL), see catalog.Quorum
// and LeaseUntil.
func (q *Quorum) Lease(ctx context.Context, name string, ttl time.Duration) (func(), error) {
	_, release, err := q.LeaseUntil(ctx, name, ttl)
	return release, err
}

// LeaseUntil is Lease that also returns until, the time up to which the
// lease may be trusted: ttl after the request was sent, less a margin.
// The error wraps catalog.ErrLeaseHeld when a member reported another
// holder's live lease and no majority granted, catalog.ErrNoQuorum when
// too few granted otherwise (or the grants came after until). A failed
// attempt gives back the grants it got.
func (q *Quorum) LeaseUntil(ctx context.Context, name string, ttl time.Duration) (until time.Time, release func(), err error) {
	if ttl <= 0 || len(name) > maxKey {
		return time.Time{}, nil, fmt.Errorf("lease %q for %v: bad name or ttl", name, ttl)
	}
	ttl = min(ttl, maxLeaseTTL)
	var nonce [16]byte
	rand.Read(nonce[:])
	sent := time.Now()
	until = sent.Add(ttl - leaseMargin(ttl))
	deadline := sent.Add(q.timeout)
	var granted []peer.ID
	for attempt := 0; ; attempt++ {
		members := q.memberSet()
		var got []peer.ID
		got, err = q.leaseOnce(ctx, name, nonce, ttl, members, deadline)
		granted = append(granted, got...)
		q.log.Debug("lease", "name", name, "members", len(members), "granted", len(got), "err", err)
		if attempt > 0 || err != nil || !q.grew(members) {
			break
		}
	}
	if err == nil && time.Now().After(until) {
		err = fmt.Errorf("lease %s: granted after its ttl: %w", name, catalog.ErrNoQuorum)
	}
	if err != nil {
		q.releaseTo(name, nonce, granted)
		return time.Time{}, nil, err
	}
	return until, sync.OnceFunc(func() { q.releaseTo(name, nonce, q.memberSet()) }), nil
}

// leaseOnce asks members for the lease and returns those that granted
// it. On failure, members granting it after the outcome was decided get
// it back.
func (q *Quorum) leaseOnce(ctx context.Context, name string, nonce [16]byte, ttl time.Duration, members []peer.ID, deadline time.Time) ([]peer.ID, error) {
	t := q.newTally(ctx, members, &request{op: opLease, key: name, nonce: nonce, ttl: ttl}, deadline)
	defer t.timer.Stop()
	var granted []peer.ID
	held := 0
	for len(granted) < t.majority {
		if len(granted)+t.pending < t.majority {
			return granted, q.leaseFailed(name, nonce, t, held, len(granted))
		}
		r, ok := t.next()
		if !ok {
			return granted, q.leaseFailed(name, nonce, t, held, len(granted))
		}
		switch {
		case r.err != nil:
			t.failed++
			t.lastErr = r.err
		case r.resp.status == stAccepted:
			granted = append(granted, r.from)
			t.answered++
		case r.resp.status == stHeld:
			held++
			t.answered++
		case r.resp.status == stNotReady:
			t.answered++
			t.lastErr = fmt.Errorf("%s started less than %v ago", r.from, maxLeaseTTL)
		default:
			t.failed++
			t.lastErr = replyError(r)
		}
	}
	return granted, nil
}

// leaseFailed gives back the grants still to come and returns the
// error of a lease a majority did not grant.
func (q *Quorum) leaseFailed(name string, nonce [16]byte, t *tally, held, granted int) error {
	if pending := t.pending; pending > 0 {
		q.life.Go(func() {
			for range pending {
				if r := <-t.replies; r.err == nil && r.resp.status == stAccepted {
					q.releaseTo(name, nonce, []peer.ID{r.from})
				}
			}
		})
	}
	if held > 0 {
		return fmt.Errorf("lease %s: %d of %d members hold another lease, %d granted: %w",
			name, held, t.members, granted, catalog.ErrLeaseHeld)
	}
	return q.noQuorum("lease", name, t, "granted", granted)
}

// releaseTo gives the lease back to members: at once on this node's
// own member, in the background on the others.
func (q *Quorum) releaseTo(name string, nonce [16]byte, members []peer.ID) {
	req := &request{op: opRelease, key: name, nonce: nonce}
	if slices.Contains(members, q.self) {
		q.release(name, nonce)
		members = slices.DeleteFunc(slices.Clone(members), func(p peer.ID) bool { return p == q.self })
	}
	if len(members) > 0 {
		q.broadcast(members, req, time.Now().Add(q.timeout))
	}
}

// leaseUntilKey holds (8 bytes, Unix ns) a time after every lease this
// member granted has ended: a member refuses grants until then after a
// restart (it forgot which it granted), and a member that never granted
// one is ready at once.
const leaseUntilKey = "quorum/lease-until"

func (q *Quorum) loadGrantedUntil() time.Time {
	var t time.Time
	err := q.db.View(func(txn *badger.Txn) error {
		it, err := txn.Get([]byte(leaseUntilKey))
		if err != nil {
			return err
		}
		return it.Value(func(v []byte) error {
			if len(v) == 8 {
				t = time.Unix(0, int64(binary.BigEndian.Uint64(v)))
			}
			return nil
		})
	})
	if err != nil && !errors.Is(err, badger.ErrKeyNotFound) {
		// Unknown: refuse for the longest lease.
		return time.Now().Add(maxLeaseTTL)
	}
	return t
}

func (q *Quorum) storeGrantedUntil(t time.Time) error {
	return q.db.Update(func(txn *badger.Txn) error {
		return txn.Set([]byte(leaseUntilKey), binary.BigEndian.AppendUint64(nil, uint64(t.UnixNano())))
	})
}
