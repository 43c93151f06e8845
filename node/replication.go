package node

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/d3s/d3s/swarm"
)

// replicate makes object id (size bytes, held here) reach its holders:
// a task per holder other than this node is queued durably, then run; it
// returns once Config.SyncReplicas copies, this node's included, are
// durable, and the other tasks go on in the background.
func (n *Node) replicate(ctx context.Context, id swarm.ID, size int64) error {
	if n.host == nil {
		return nil // not on a network: the only copy is this one
	}
	var tasks []replTask
	for _, p := range n.holders(ctx, id) {
		if p != n.mem.id {
			tasks = append(tasks, replTask{id: id, holder: p})
		}
	}
	if len(tasks) == 0 {
		return nil
	}
	if err := n.enqueue(tasks); err != nil {
		return fmt.Errorf("queue replication of %s: %w", id, err)
	}
	done := make(chan error, len(tasks))
	for _, t := range tasks {
		n.startTask(t, done)
	}
	need := n.syncCopies(1+len(tasks)) - 1
	return awaitCopies(ctx, done, len(tasks), need, replicateTimeout(size))
}

// awaitCopies waits until need of total tasks reported success on done,
// or too many failed, or ctx or the timeout ended.
func awaitCopies(ctx context.Context, done <-chan error, total, need int, timeout time.Duration) error {
	if need <= 0 {
		return nil
	}
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	var errs []error
	for ok := 0; ok < need; {
		if total-len(errs) < need {
			return fmt.Errorf("%w: %d of %d copies durable: %w", ErrTooFewCopies, ok+1, need+1, errors.Join(errs...))
		}
		select {
		case err := <-done:
			if err == nil {
				ok++
			} else {
				errs = append(errs, err)
			}
		case <-ctx.Done():
			return ctx.Err()
		case <-timer.C:
			return fmt.Errorf("%w: %d of %d copies durable after %v", ErrTooFewCopies, ok+1, need+1, timeout)
		}
	}
	return nil
}

// runTask asks t's holder to fetch t's object. An object no longer held
// here ends the task: there is nothing left to replicate from this node.
func (n *Node) runTask(ctx context.Context, t replTask) error {
	mi, err := n.swarm.MetaInfo(ctx, t.id)
	if err != nil {
		return fmt.Errorf("metainfo of %s: %w", t.id, err)
	}
	obj, err := n.swarm.Stat(ctx, t.id)
	if err != nil {
		return fmt.Errorf("stat %s: %w", t.id, err)
	}
	q := replicateRequest{id: t.id, size: obj.Size, mi: mi, peers: n.sources(ctx, t)}
	if obj.Size <= inlineReplicaMax {
		if q.inline, err = n.readAll(ctx, t.id); err != nil {
			return err
		}
		q.hasInline = true
	} else if err := n.seed(ctx, t.id, obj.Size); err != nil {
		// Idle objects are not loaded torrents: load it so the holder
		// can download it.
		return fmt.Errorf("seed %s: %w", t.id, err)
	}
	if err := n.askReplicate(ctx, t.holder, q); err != nil {
		return fmt.Errorf("replicate %s to %s: %w", t.id, t.holder, err)
	}
	return nil
}

// readAll reads a whole (small) stored object.
func (n *Node) readAll(ctx context.Context, id swarm.ID) ([]byte, error) {
	r, err := n.swarm.Open(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", id, err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", id, err)
	}
	return b, nil
}

// sources names the swarm peers t's holder downloads from: this node,
// and, when swarm peers are named by libp2p peer ID (the swarm runs over
// the network's transport), the other holders too, so that they fetch
// from each other at once.
func (n *Node) sources(ctx context.Context, t replTask) []string {
	self := n.swarm.Self()
	out := []string{self}
	if self != n.mem.id.String() {
		return out
	}
	for _, p := range n.holders(ctx, t.id) {
		if p != t.holder && p != n.mem.id {
			out = append(out, p.String())
		}
	}
	return out
}

// track registers background work that Close must wait for; false once
// the node is closing, when no new work may start.
func (n *Node) track() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return false
	}
	n.bg.Add(1)
	return true
}

// without returns ps without p.
func without(ps []peer.ID, p peer.ID) []peer.ID {
	return slices.DeleteFunc(slices.Clone(ps), func(q peer.ID) bool { return q == p })
}
