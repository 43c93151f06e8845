package quorum

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/d3s/d3s/catalog"
	"github.com/d3s/d3s/dht/record"
)

// tally counts the replies of one operation against its majority.
type tally struct {
	members, majority int
	answered, failed  int // members that answered, that did not
	pending           int // replies not read yet
	ctx               context.Context
	replies           <-chan reply
	timer             *time.Timer // the operation's deadline
	lastErr           error
}

// next waits for the next reply; false when ctx or the deadline ended
// first, or none is left.
func (t *tally) next() (reply, bool) {
	if t.pending == 0 {
		return reply{}, false
	}
	select {
	case r := <-t.replies:
		t.pending--
		return r, true
	case <-t.ctx.Done():
	case <-t.timer.C:
	}
	return reply{}, false
}

func (q *Quorum) newTally(ctx context.Context, members []peer.ID, req *request, deadline time.Time) *tally {
	return &tally{
		members: len(members), majority: majority(len(members)), pending: len(members),
		ctx: ctx, replies: q.broadcast(members, req, deadline),
		timer: time.NewTimer(time.Until(deadline)),
	}
}

// noQuorum is the error of an operation that ended with too few
// answers.
func (q *Quorum) noQuorum(op, key string, t *tally, what string, n int) error {
	err := fmt.Errorf("%s %s: %s by %d of %d members (%d answered, %d failed), %d needed (last error: %v): %w",
		op, key, what, n, t.members, t.answered, t.failed, t.majority, t.lastErr, catalog.ErrNoQuorum)
	q.warnNoQuorum(op, key, err)
	return err
}

// GetRecords returns the distinct records a majority of the members
// hold under key (see catalog.Quorum). The error wraps
// catalog.ErrNoQuorum when no majority answered within the Timeout or
// before ctx ended.
func (q *Quorum) GetRecords(ctx context.Context, key string, known [][]byte) ([][]byte, error) {
	deadline := time.Now().Add(q.timeout)
	for attempt := 0; ; attempt++ {
		members := q.memberSet()
		recs, err := q.getOnce(ctx, key, known, members, deadline)
		q.log.Debug("get", "key", key, "members", len(members), "records", len(recs), "err", err)
		if attempt > 0 || err != nil || !q.grew(members) {
			return recs, err
		}
		for _, r := range recs {
			known = appendDistinct(known, r) // spares the members sending them again
		}
	}
}

func (q *Quorum) getOnce(ctx context.Context, key string, known [][]byte, members []peer.ID, deadline time.Time) ([][]byte, error) {
	req := &request{op: opGet, key: key}
	for _, k := range known[:min(len(known), maxHashes)] {
		req.hashes = append(req.hashes, sha256.Sum256(k))
	}
	t := q.newTally(ctx, members, req, deadline)
	defer t.timer.Stop()
	var recs [][]byte
	for t.answered < t.majority {
		if t.answered+t.pending < t.majority {
			return nil, q.noQuorum("get", key, t, "answered", t.answered)
		}
		r, ok := t.next()
		if !ok {
			return nil, q.noQuorum("get", key, t, "answered", t.answered)
		}
		rec, err := recordOf(key, r, known)
		if err != nil {
			t.failed++
			t.lastErr = err
			continue
		}
		t.answered++
		if rec != nil {
			recs = appendDistinct(recs, rec)
		}
	}
	return recs, nil
}

// recordOf is the record a GET reply gives (nil: none).
func recordOf(key string, r reply, known [][]byte) ([]byte, error) {
	if r.err != nil {
		return nil, r.err
	}
	switch a := r.resp; a.status {
	case stNone:
		return nil, nil
	case stKnown:
		if a.index >= len(known) {
			return nil, fmt.Errorf("%s: known record %d of %d", r.from, a.index, len(known))
		}
		return known[a.index], nil
	case stRecord:
		if err := (record.Validator{}).Validate(key, a.record); err != nil {
			return nil, fmt.Errorf("%s holds an invalid record: %w", r.from, err)
		}
		return a.record, nil
	default:
		return nil, replyError(r)
	}
}

func replyError(r reply) error {
	if r.resp.status == stError {
		return fmt.Errorf("%s: %s", r.from, r.resp.msg)
	}
	return fmt.Errorf("%s: unexpected status %d", r.from, r.resp.status)
}

// SwapRecord stores value under key on a majority of the members, each
// in place of a record in over (a nil or empty element: none), see
// catalog.Quorum. value must be a valid record of key. The error wraps
// catalog.ErrLostRace (current: the distinct records held by the
// members that refused) or catalog.ErrNoQuorum.
func (q *Quorum) SwapRecord(ctx context.Context, key string, value []byte, over [][]byte) ([][]byte, error) {
	if err := (record.Validator{}).Validate(key, value); err != nil {
		return nil, fmt.Errorf("swap %s: %w", key, err)
	}
	var hashes [][sha256.Size]byte
	for _, o := range over {
		h := noneHash
		if len(o) > 0 {
			h = sha256.Sum256(o)
		}
		if !slices.Contains(hashes, h) {
			hashes = append(hashes, h)
		}
	}
	if len(hashes) > maxHashes {
		return nil, fmt.Errorf("swap %s: %d records to replace, at most %d", key, len(hashes), maxHashes)
	}
	deadline := time.Now().Add(q.timeout)
	for attempt := 0; ; attempt++ {
		members := q.memberSet()
		cur, err := q.swapOnce(ctx, key, value, hashes, members, deadline)
		q.log.Debug("swap", "key", key, "members", len(members), "current", len(cur), "err", err)
		if attempt > 0 || (err != nil && !errors.Is(err, catalog.ErrLostRace)) || !q.grew(members) {
			return cur, err
		}
	}
}

func (q *Quorum) swapOnce(ctx context.Context, key string, value []byte, over [][sha256.Size]byte, members []peer.ID, deadline time.Time) ([][]byte, error) {
	t := q.newTally(ctx, members, &request{op: opSwap, key: key, value: value, hashes: over}, deadline)
	defer t.timer.Stop()
	var accepted, refused int
	var cur [][]byte
	for accepted < t.majority {
		if t.members-refused < t.majority {
			return cur, fmt.Errorf("swap %s: %d of %d members refused: %w", key, refused, t.members, catalog.ErrLostRace)
		}
		if accepted+t.pending < t.majority {
			return nil, q.noQuorum("swap", key, t, "accepted", accepted)
		}
		r, ok := t.next()
		if !ok {
			return nil, q.noQuorum("swap", key, t, "accepted", accepted)
		}
		switch {
		case r.err != nil:
			t.failed++
			t.lastErr = r.err
		case r.resp.status == stAccepted:
			accepted++
			t.answered++
		case r.resp.status == stRefused:
			refused++
			t.answered++
			if r.resp.record != nil && (record.Validator{}).Validate(key, r.resp.record) == nil {
				cur = appendDistinct(cur, r.resp.record)
			}
		default:
			t.failed++
			t.lastErr = replyError(r)
		}
	}
	return nil, nil
}

func appendDistinct(recs [][]byte, rec []byte) [][]byte {
	if slices.ContainsFunc(recs, func(r []byte) bool { return bytes.Equal(r, rec) }) {
		return recs
	}
	return append(recs, rec)
}
