package ledger

import (
	"context"
	"fmt"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/d3s/d3s/internal/kv"
	"github.com/d3s/d3s/swarm"
)

// Replica is one replica index entry.
type Replica struct {
	ID swarm.ID
	// Recorded is when the replica was recorded (the zero time for one
	// recorded before the index kept it).
	Recorded time.Time
}

// MarkReplica records a replica reference on id; added is false when one
// was already recorded. A collection candidate noted before since (when
// the request for this copy arrived) is cleared: a replicate request
// after the notice means a live version needs the copy. One noted since
// then stays for the sweep to decide: the notice may be the deletion of
// the very version this copy was fetched for (a fetch still running when
// the notice came, see BeginFetch).
func (l *Ledger) MarkReplica(id swarm.ID, since time.Time) (added bool, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	err = l.db.Update(func(txn *badger.Txn) error {
		noted, found, err := kv.Get(txn, candidateKey(id))
		if err != nil {
			return err
		}
		if found && timeOf(noted).Before(since) {
			if err := txn.Delete([]byte(candidateKey(id))); err != nil {
				return err
			}
		}
		if found, err := has(txn, replicaKey(id)); err != nil || found {
			return err
		}
		added = true
		return txn.Set([]byte(replicaKey(id)), timeValue(time.Now()))
	})
	return added, err
}

// BeginFetch notes that a copy of id is being fetched to become a
// replica, so that a collection notice arriving before it is recorded is
// not lost (MarkCandidate), and returns when it began; EndFetch undoes it.
func (l *Ledger) BeginFetch(id swarm.ID) time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.fetching[id]++
	return time.Now()
}

// EndFetch ends a fetch begun with BeginFetch.
func (l *Ledger) EndFetch(id swarm.ID) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.fetching[id]--; l.fetching[id] <= 0 {
		delete(l.fetching, id)
	}
}

// IsReplica reports whether this node holds a replica reference on id.
func (l *Ledger) IsReplica(id swarm.ID) (found bool, err error) {
	err = l.db.View(func(txn *badger.Txn) error {
		found, err = has(txn, replicaKey(id))
		return err
	})
	return found, err
}

// AreReplicas reports, for each of ids, whether this node holds a
// replica reference on it, in one read.
func (l *Ledger) AreReplicas(ids []swarm.ID) ([]bool, error) {
	out := make([]bool, len(ids))
	err := l.db.View(func(txn *badger.Txn) error {
		for i, id := range ids {
			found, err := has(txn, replicaKey(id))
			if err != nil {
				return err
			}
			out[i] = found
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read replica index: %w", err)
	}
	return out, nil
}

// ReplicaBatch reads up to limit replica index entries after cursor
// after (from the start when nil) and returns them and the cursor of the
// last one.
func (l *Ledger) ReplicaBatch(after []byte, limit int) (items []Replica, last []byte, err error) {
	err = l.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(replicaPrefix), PrefetchValues: true})
		defer it.Close()
		it.Rewind()
		if after != nil {
			it.Seek(after)
		}
		for ; it.Valid() && len(items) < limit; it.Next() {
			k := it.Item().Key()
			if after != nil && string(k) == string(after) {
				continue
			}
			id, err := swarm.ParseID(string(k[len(replicaPrefix):]))
			if err != nil {
				continue
			}
			val, err := it.Item().ValueCopy(nil)
			if err != nil {
				return err
			}
			items = append(items, Replica{ID: id, Recorded: timeOf(val)})
			last = append([]byte(nil), k...)
		}
		return nil
	})
	return items, last, err
}

// RecordedBefore returns the replicas recorded before cutoff (those
// recorded before the index kept the time count as old).
func (l *Ledger) RecordedBefore(cutoff time.Time) (map[swarm.ID]time.Time, error) {
	out := make(map[swarm.ID]time.Time)
	err := l.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(replicaPrefix), PrefetchValues: true})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			id, err := swarm.ParseID(string(it.Item().Key()[len(replicaPrefix):]))
			if err != nil {
				continue
			}
			val, err := it.Item().ValueCopy(nil)
			if err != nil {
				return err
			}
			if at := timeOf(val); at.Before(cutoff) {
				out[id] = at
			}
		}
		return nil
	})
	return out, err
}

// DropReplica forgets this node's replica reference on id (and any
// collection candidate) and releases it: the version's live holders all
// confirmed their copies and this node is not one of them.
func (l *Ledger) DropReplica(ctx context.Context, id swarm.ID) {
	l.mu.Lock()
	defer l.mu.Unlock()
	held := false
	err := l.db.Update(func(txn *badger.Txn) error {
		var err error
		if held, err = has(txn, replicaKey(id)); err != nil || !held {
			return err
		}
		if err := txn.Delete([]byte(replicaKey(id))); err != nil {
			return err
		}
		return txn.Delete([]byte(candidateKey(id)))
	})
	if err != nil {
		l.log.Warn("drop replica of a non-holder", "id", id, "err", err)
		return
	}
	if held {
		l.Release(ctx, id)
		l.log.Debug("replica handed over to the live holders", "id", id)
	}
}
