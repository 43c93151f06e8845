package replicate

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/d3s/d3s/swarm"
)

// Replicate makes object id (size bytes, held here) reach its holders:
// a task per holder other than this node is queued durably, then run; it
// returns once the node's SyncReplicas copies, this node's included, are
// durable, and the other tasks go on in the background.
func (r *Replicator) Replicate(ctx context.Context, id swarm.ID, size int64) error {
	if r.online() == nil {
		return nil // not on a network: the only copy is this one
	}
	var tasks []Task
	for _, p := range r.place.Holders(ctx, id) {
		if p != r.place.Self() {
			tasks = append(tasks, Task{ID: id, Holder: p})
		}
	}
	if len(tasks) == 0 {
		return nil
	}
	if err := r.enqueue(tasks); err != nil {
		return fmt.Errorf("queue replication of %s: %w", id, err)
	}
	done := make(chan error, len(tasks))
	for _, t := range tasks {
		r.startTask(t, done)
	}
	need := r.place.SyncCopies(1+len(tasks)) - 1
	return awaitCopies(ctx, done, len(tasks), need, timeout(size))
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
func (r *Replicator) runTask(ctx context.Context, t Task) error {
	mi, err := r.swarm.MetaInfo(ctx, t.ID)
	if err != nil {
		return fmt.Errorf("metainfo of %s: %w", t.ID, err)
	}
	obj, err := r.swarm.Stat(ctx, t.ID)
	if err != nil {
		return fmt.Errorf("stat %s: %w", t.ID, err)
	}
	q := Request{ID: t.ID, Size: obj.Size, MetaInfo: mi, Peers: r.sources(ctx, t)}
	if obj.Size <= inlineMax {
		if q.Inline, err = r.readAll(ctx, t.ID); err != nil {
			return err
		}
		q.HasInline = true
	} else if err := r.Seed(ctx, t.ID, obj.Size); err != nil {
		// Idle objects are not loaded torrents: load it so the holder
		// can download it.
		return fmt.Errorf("seed %s: %w", t.ID, err)
	}
	if err := r.ask(ctx, t.Holder, q); err != nil {
		return fmt.Errorf("replicate %s to %s: %w", t.ID, t.Holder, err)
	}
	return nil
}

// readAll reads a whole (small) stored object.
func (r *Replicator) readAll(ctx context.Context, id swarm.ID) ([]byte, error) {
	rd, err := r.swarm.Open(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", id, err)
	}
	defer rd.Close()
	b, err := io.ReadAll(rd)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", id, err)
	}
	return b, nil
}

// sources names the swarm peers t's holder downloads from: this node,
// and, when swarm peers are named by libp2p peer ID (the swarm runs over
// the network's transport), the other holders too, so that they fetch
// from each other at once.
func (r *Replicator) sources(ctx context.Context, t Task) []string {
	self := r.swarm.Self()
	out := []string{self}
	if self != r.place.Self().String() {
		return out
	}
	for _, p := range r.place.Holders(ctx, t.ID) {
		if p != t.Holder && p != r.place.Self() {
			out = append(out, p.String())
		}
	}
	return out
}
