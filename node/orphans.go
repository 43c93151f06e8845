package node

import (
	"context"
	"encoding/binary"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/d3s/d3s/swarm"
)

// The orphan scan is the backstop of replica collection (gc.go). A
// holder learns that a version left the catalogue from a release notice
// or from merging the bucket; a holder that was down when the notice
// came, and never reads the bucket, learns neither. Every
// Config.OrphanScan (default 1 h) a node revalidates its whole catalogue
// (liveRefs, as a sweep does) and looks for the replicas recorded at
// least one scan interval ago that no live entry references. One
// unreferenced in two scans in a row becomes a collection candidate, and
// the sweep checks the catalogue once more before it releases anything:
// a version whose head this node failed to fetch once is not lost for it.
const (
	// DefaultOrphanScan is Config.OrphanScan when unset.
	DefaultOrphanScan = time.Hour
	// orphanFirstDelay is when the first scan runs after Start (or the
	// interval, when shorter): after the catalogue had time to catch up.
	orphanFirstDelay = 10 * time.Minute
)

func (n *Node) orphanInterval() time.Duration {
	if n.cfg.OrphanScan > 0 {
		return n.cfg.OrphanScan
	}
	return DefaultOrphanScan
}

// orphanLoop runs an orphan scan every Config.OrphanScan until ctx ends.
func (n *Node) orphanLoop(ctx context.Context) {
	every := n.orphanInterval()
	wait := min(every, orphanFirstDelay)
	var suspects map[swarm.ID]struct{}
	for sleepCtx(ctx, jitter(wait)) {
		next, err := n.orphanScan(ctx, suspects, every)
		if err != nil {
			if ctx.Err() == nil {
				n.log.Warn("orphan scan", "err", err)
			}
		} else {
			suspects = next
		}
		wait = every
	}
}

// orphanScan returns the replicas recorded at least age ago that no live
// entry references, and notes as collection candidates those among them
// that were suspects already (the previous scan's answer).
func (n *Node) orphanScan(ctx context.Context, suspects map[swarm.ID]struct{}, age time.Duration) (map[swarm.ID]struct{}, error) {
	old, err := n.replicasRecordedBefore(time.Now().Add(-age))
	if err != nil || len(old) == 0 {
		return nil, err
	}
	live, err := n.liveRefs(ctx, old)
	if err != nil {
		return nil, err
	}
	next := make(map[swarm.ID]struct{})
	for id := range old {
		if live[id] {
			continue
		}
		next[id] = struct{}{}
		if _, ok := suspects[id]; ok {
			n.log.Info("replica no version references: collecting", "id", id)
			n.markCandidate(id)
		}
	}
	return next, nil
}

// replicasRecordedBefore returns the replicas recorded before cutoff
// (those recorded before the index kept the time count as old).
func (n *Node) replicasRecordedBefore(cutoff time.Time) (map[swarm.ID]time.Time, error) {
	out := make(map[swarm.ID]time.Time)
	err := n.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(replicaIndexPrefix), PrefetchValues: true})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			id, err := swarm.ParseID(string(it.Item().Key()[len(replicaIndexPrefix):]))
			if err != nil {
				continue
			}
			val, err := it.Item().ValueCopy(nil)
			if err != nil {
				return err
			}
			if at := replicaTime(val); at.Before(cutoff) {
				out[id] = at
			}
		}
		return nil
	})
	return out, err
}

// replicaValue is a replica index value: when the replica was recorded.
func replicaValue(at time.Time) []byte {
	return binary.BigEndian.AppendUint64(nil, uint64(at.UnixNano()))
}

// replicaTime decodes a replica index value; an empty one (written
// before the index kept the time) is the zero time.
func replicaTime(val []byte) time.Time {
	if len(val) != 8 {
		return time.Time{}
	}
	return time.Unix(0, int64(binary.BigEndian.Uint64(val)))
}
