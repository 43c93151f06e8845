package ledger

import (
	"context"
	"encoding/hex"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/d3s/d3s/swarm"
)

// MarkCandidate notes id for the next sweep if this node holds a replica
// reference on it, or is fetching a copy that may become one (the
// notice can overtake the replication it follows: a PUT acknowledged
// with fewer than R copies completes in the background).
func (l *Ledger) MarkCandidate(id swarm.ID) {
	l.mu.Lock()
	defer l.mu.Unlock()
	err := l.db.Update(func(txn *badger.Txn) error {
		found, err := has(txn, replicaKey(id))
		if err != nil || (!found && l.fetching[id] == 0) {
			return err
		}
		if found, err = has(txn, candidateKey(id)); err != nil || found {
			return err
		}
		return txn.Set([]byte(candidateKey(id)), timeValue(time.Now()))
	})
	if err != nil {
		l.log.Warn("note replica for collection", "id", id, "err", err)
	}
}

// Candidates reads the collection candidates and when each was noted.
func (l *Ledger) Candidates() (map[swarm.ID]time.Time, error) {
	out := make(map[swarm.ID]time.Time)
	err := l.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(candidatePrefix), PrefetchValues: true})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			var id swarm.ID
			raw, err := hex.DecodeString(string(it.Item().Key()[len(candidatePrefix):]))
			if err != nil || len(raw) != len(id) {
				continue
			}
			copy(id[:], raw)
			val, err := it.Item().ValueCopy(nil)
			if err != nil {
				return err
			}
			out[id] = timeOf(val)
		}
		return nil
	})
	return out, err
}

// Collect forgets candidate id and, when release is set, its replica
// reference too: both keys go in one transaction, under the ledger's
// mutex, and only while the candidate is still noted, since a replicate
// request meanwhile (MarkReplica clears the candidate) means a new
// version needs the copy. While a copy of id is being fetched nothing
// happens: the fetch ends in MarkReplica, and the candidate must outlive
// it.
func (l *Ledger) Collect(ctx context.Context, id swarm.ID, release bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.fetching[id] > 0 {
		return
	}
	held := false
	err := l.db.Update(func(txn *badger.Txn) error {
		noted, err := has(txn, candidateKey(id))
		if err != nil || !noted {
			return err
		}
		if release {
			if held, err = has(txn, replicaKey(id)); err != nil {
				return err
			}
			if held {
				if err := txn.Delete([]byte(replicaKey(id))); err != nil {
					return err
				}
			}
		}
		return txn.Delete([]byte(candidateKey(id)))
	})
	if err != nil {
		l.log.Warn("collect replica", "id", id, "err", err)
		return
	}
	if held {
		l.Release(ctx, id)
		l.log.Debug("replica collected", "id", id)
	}
}
