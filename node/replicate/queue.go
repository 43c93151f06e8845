package replicate

import (
	"context"
	"encoding/hex"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/d3s/d3s/swarm"
)

// Replication queue: a writer records, in one synced badger write before
// it asks anyone, a task per (object version, holder) under queuePrefix;
// a task leaves the queue only when its holder answered that its copy is
// durable (or the object is no longer held here). A loop on the node's
// lifetime retries the rest with exponential backoff, so a replication is
// never forgotten, across restarts included.
const (
	queuePrefix = "repl/"
	// retryTick is how often the retry loop looks for due tasks.
	retryTick = time.Second
	// backoffMin and backoffMax bound the wait between attempts.
	backoffMin = time.Second
	backoffMax = 5 * time.Minute
	// maxBackgroundTasks bounds the replications started without a
	// waiter (retries, repairs) while that many tasks run.
	maxBackgroundTasks = 16
)

// Task is one queued replication: object ID to Holder.
type Task struct {
	ID     swarm.ID
	Holder peer.ID
}

func (t Task) key() string {
	return queuePrefix + hex.EncodeToString(t.ID[:]) + "/" + t.Holder.String()
}

// parseTask parses a queue key.
func parseTask(k string) (Task, bool) {
	rest, ok := strings.CutPrefix(k, queuePrefix)
	hexID, holder, ok2 := strings.Cut(rest, "/")
	id, err := swarm.ParseID(hexID)
	if !ok || !ok2 || err != nil {
		return Task{}, false
	}
	p, err := peer.Decode(holder)
	return Task{ID: id, Holder: p}, err == nil
}

// taskState tracks the tasks running and the backoff of failed ones.
type taskState struct {
	mu      sync.Mutex
	running map[Task][]chan error // waiters of each running task
	// background counts the running tasks (sync ones included, so that
	// a burst of PUTs also holds the background back).
	background int
	fails      map[Task]int
	next       map[Task]time.Time
}

func newTaskState() *taskState {
	return &taskState{running: map[Task][]chan error{}, fails: map[Task]int{}, next: map[Task]time.Time{}}
}

// enqueue records tasks durably.
func (r *Replicator) enqueue(tasks []Task) error {
	return r.db.Update(func(txn *badger.Txn) error {
		for _, t := range tasks {
			if err := txn.Set([]byte(t.key()), nil); err != nil {
				return err
			}
		}
		return nil
	})
}

// Dequeue forgets a queued task.
func (r *Replicator) Dequeue(t Task) {
	err := r.db.Update(func(txn *badger.Txn) error { return txn.Delete([]byte(t.key())) })
	if err != nil {
		r.log.Warn("dequeue replication", "id", t.ID, "holder", t.Holder, "err", err)
	}
}

// Queued lists the queued tasks.
func (r *Replicator) Queued() ([]Task, error) {
	var out []Task
	err := r.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(queuePrefix)})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			if t, ok := parseTask(string(it.Item().Key())); ok {
				out = append(out, t)
			}
		}
		return nil
	})
	return out, err
}

// Pending returns how many replications this node still has to see
// confirmed by their holders.
func (r *Replicator) Pending() (int, error) {
	ts, err := r.Queued()
	return len(ts), err
}

// Queue queues a replication of id to each of holders and starts them
// (on a network: the retry loop runs them otherwise, once started).
func (r *Replicator) Queue(id swarm.ID, holders []peer.ID) {
	tasks := make([]Task, len(holders))
	for i, p := range holders {
		tasks[i] = Task{ID: id, Holder: p}
	}
	if err := r.enqueue(tasks); err != nil {
		r.log.Warn("queue repair", "id", id, "err", err)
		return
	}
	if r.online() == nil {
		return
	}
	for _, t := range tasks {
		r.startTask(t, nil)
	}
}

// retryLoop runs due queued tasks until ctx ends.
func (r *Replicator) retryLoop(ctx context.Context) {
	tick := time.NewTicker(retryTick)
	defer tick.Stop()
	for {
		r.retryDue(ctx)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// retryDue starts queued tasks that are neither running nor backing off,
// as long as background slots are free (the rest wait for the next
// tick). A task whose holder is no longer among its version's live
// holders is dropped instead: the repair loop routes the copy to
// whoever is now a holder.
func (r *Replicator) retryDue(ctx context.Context) {
	ts, err := r.Queued()
	if err != nil {
		r.log.Warn("read replication queue", "err", err)
		return
	}
	now := time.Now()
	live := r.place.Live()
	for _, t := range ts {
		r.tasks.mu.Lock()
		_, running := r.tasks.running[t]
		due := !running && r.tasks.next[t].Before(now)
		full := r.tasks.background >= maxBackgroundTasks
		r.tasks.mu.Unlock()
		if full {
			return
		}
		if !due {
			continue
		}
		if !slices.Contains(r.place.HoldersAmong(ctx, t.ID, live), t.Holder) {
			r.dropTask(t)
			continue
		}
		r.startTask(t, nil)
	}
}

// dropTask forgets a queued task and its backoff.
func (r *Replicator) dropTask(t Task) {
	r.Dequeue(t)
	r.tasks.mu.Lock()
	delete(r.tasks.fails, t)
	delete(r.tasks.next, t)
	r.tasks.mu.Unlock()
	r.log.Debug("replication dropped: no longer a live holder", "id", t.ID, "holder", t.Holder)
}

// startTask runs t unless it is running already; done (if not nil)
// receives its outcome either way. A task nobody waits for (done nil)
// starts only while fewer than maxBackgroundTasks such tasks run, so
// that a repair after a member died does not start one download per
// object at once; it stays queued for the retry loop otherwise.
func (r *Replicator) startTask(t Task, done chan error) {
	r.tasks.mu.Lock()
	waiters, running := r.tasks.running[t]
	if !running && done == nil && r.tasks.background >= maxBackgroundTasks {
		r.tasks.mu.Unlock()
		return
	}
	if done != nil {
		waiters = append(waiters, done)
	}
	r.tasks.running[t] = waiters
	if !running {
		r.tasks.background++
	}
	r.tasks.mu.Unlock()
	if running {
		return
	}
	if !r.life.Go(func() { r.finishTask(t, r.runTask(r.life.Context(), t)) }) {
		r.finishTask(t, context.Canceled)
	}
}

// finishTask dequeues a task that succeeded, backs off one that failed,
// and tells its waiters.
func (r *Replicator) finishTask(t Task, err error) {
	if err == nil || errors.Is(err, swarm.ErrNotFound) {
		r.Dequeue(t) // durable there, or no longer here to replicate
	} else if r.life.Context().Err() == nil {
		r.log.Debug("replication failed, will retry", "id", t.ID, "holder", t.Holder, "err", err)
	}
	r.tasks.mu.Lock()
	waiters := r.tasks.running[t]
	delete(r.tasks.running, t)
	r.tasks.background--
	if err == nil {
		delete(r.tasks.fails, t)
		delete(r.tasks.next, t)
	} else {
		r.tasks.fails[t]++
		wait := min(backoffMin<<min(r.tasks.fails[t]-1, 16), backoffMax)
		r.tasks.next[t] = time.Now().Add(wait)
	}
	r.tasks.mu.Unlock()
	for _, w := range waiters {
		w <- err
	}
}
