package quorum

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/libp2p/go-libp2p/core/network"

	"github.com/d3s/d3s/dht/record"
	"github.com/d3s/d3s/internal/kv"
	"github.com/d3s/d3s/node/p2p"
)

// recPrefix is where a member keeps its record of each key.
const recPrefix = "quorum/rec/"

// swapRetries bounds the retries of a SWAP transaction that conflicted.
const swapRetries = 16

// handle serves one Protocol request.
func (q *Quorum) handle(st network.Stream) {
	st.SetDeadline(time.Now().Add(p2p.RequestTimeout))
	q.learn(st.Conn().RemotePeer())
	req, err := readRequest(bufio.NewReader(st))
	var a *response
	switch {
	case errors.Is(err, errUnknownOp):
		a = &response{status: stError, msg: err.Error()}
	case err != nil:
		q.log.Debug("bad request", "peer", st.Conn().RemotePeer(), "err", err)
		st.Reset()
		return
	default:
		a = q.serve(req)
		if ms := q.memberSet(); digest(ms) != req.digest {
			a.members = ms
		}
	}
	if _, err := st.Write(a.encode()); err != nil {
		st.Reset()
	}
}

// serve answers req as this member, for another member or this node.
func (q *Quorum) serve(req *request) *response {
	var a *response
	var err error
	switch req.op {
	case opGet:
		a, err = q.get(req.key, req.hashes)
	case opSwap:
		a, err = q.swap(req.key, req.value, req.hashes)
	case opLease:
		a = q.grant(req.key, req.nonce, req.ttl)
	case opRelease:
		a = q.release(req.key, req.nonce)
	default:
		err = fmt.Errorf("%w %d", errUnknownOp, req.op)
	}
	if err != nil {
		return &response{status: stError, msg: err.Error()}
	}
	return a
}

// get answers this member's record of key: none, the record, or which
// of known it is.
func (q *Quorum) get(key string, known [][sha256.Size]byte) (*response, error) {
	var cur []byte
	err := q.db.View(func(txn *badger.Txn) error {
		var err error
		cur, _, err = kv.Get(txn, recPrefix+key)
		return err
	})
	switch {
	case err != nil:
		return nil, fmt.Errorf("read %s: %w", key, err)
	case cur == nil:
		return &response{status: stNone}, nil
	}
	if i := slices.Index(known, sha256.Sum256(cur)); i >= 0 {
		return &response{status: stKnown, index: i}, nil
	}
	return &response{status: stRecord, record: cur}, nil
}

// swap stores value under key in place of this member's record if its
// hash is in over (noneHash: no record) and value is better (or the
// same record); otherwise it refuses with the record it holds.
func (q *Quorum) swap(key string, value []byte, over [][sha256.Size]byte) (*response, error) {
	if err := (record.Validator{}).Validate(key, value); err != nil {
		return nil, err
	}
	for range swapRetries {
		var a *response
		err := q.db.Update(func(txn *badger.Txn) error {
			cur, found, err := kv.Get(txn, recPrefix+key)
			if err != nil {
				return err
			}
			a = decideSwap(key, value, cur, found, over)
			if a.status != stAccepted || bytes.Equal(cur, value) {
				return nil
			}
			return txn.Set([]byte(recPrefix+key), value)
		})
		if errors.Is(err, badger.ErrConflict) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("swap %s: %w", key, err)
		}
		return a, nil
	}
	return nil, fmt.Errorf("swap %s: %w after %d tries", key, badger.ErrConflict, swapRetries)
}

// decideSwap is the member's compare-and-swap rule.
func decideSwap(key string, value, cur []byte, found bool, over [][sha256.Size]byte) *response {
	refused := &response{status: stRefused, record: cur}
	switch {
	case found && bytes.Equal(cur, value):
		return &response{status: stAccepted}
	case !found:
		if slices.Contains(over, noneHash) {
			return &response{status: stAccepted}
		}
		return refused
	case !slices.Contains(over, sha256.Sum256(cur)):
		return refused
	}
	if i, err := (record.Validator{}).Select(key, [][]byte{value, cur}); err != nil || i != 0 {
		return refused
	}
	return &response{status: stAccepted}
}
