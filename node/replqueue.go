package node

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
// it asks anyone, a task per (object version, holder) under
// replQueuePrefix; a task leaves the queue only when its holder answered
// that its copy is durable (or the object is no longer held here). A loop
// on the node's lifetime retries the rest with exponential backoff, so a
// replication is never forgotten, across restarts included.
const (
	replQueuePrefix = "repl/"
	// replRetryTick is how often the retry loop looks for due tasks.
	replRetryTick = time.Second
	// replBackoffMin and replBackoffMax bound the wait between attempts.
	replBackoffMin = time.Second
	replBackoffMax = 5 * time.Minute
	// maxBackgroundTasks bounds the replications started without a
	// waiter (retries, repairs) while that many tasks run.
	maxBackgroundTasks = 16
)

// replTask is one queued replication: object id to holder.
type replTask struct {
	id     swarm.ID
	holder peer.ID
}

func (t replTask) key() string {
	return replQueuePrefix + hex.EncodeToString(t.id[:]) + "/" + t.holder.String()
}

// parseReplTask parses a queue key.
func parseReplTask(k string) (replTask, bool) {
	rest, ok := strings.CutPrefix(k, replQueuePrefix)
	hexID, holder, ok2 := strings.Cut(rest, "/")
	id, err := swarm.ParseID(hexID)
	if !ok || !ok2 || err != nil {
		return replTask{}, false
	}
	p, err := peer.Decode(holder)
	return replTask{id: id, holder: p}, err == nil
}

// replState tracks the tasks running and the backoff of failed ones.
type replState struct {
	mu      sync.Mutex
	running map[replTask][]chan error // waiters of each running task
	// background counts the running tasks (sync ones included, so that
	// a burst of PUTs also holds the background back).
	background int
	fails      map[replTask]int
	next       map[replTask]time.Time
}

func newReplState() *replState {
	return &replState{running: map[replTask][]chan error{}, fails: map[replTask]int{}, next: map[replTask]time.Time{}}
}

// enqueue records tasks durably.
func (n *Node) enqueue(tasks []replTask) error {
	return n.db.Update(func(txn *badger.Txn) error {
		for _, t := range tasks {
			if err := txn.Set([]byte(t.key()), nil); err != nil {
				return err
			}
		}
		return nil
	})
}

// dequeue forgets a finished task.
func (n *Node) dequeue(t replTask) {
	err := n.db.Update(func(txn *badger.Txn) error { return txn.Delete([]byte(t.key())) })
	if err != nil {
		n.log.Warn("dequeue replication", "id", t.id, "holder", t.holder, "err", err)
	}
}

// queued lists the queued tasks.
func (n *Node) queued() ([]replTask, error) {
	var out []replTask
	err := n.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(replQueuePrefix)})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			if t, ok := parseReplTask(string(it.Item().Key())); ok {
				out = append(out, t)
			}
		}
		return nil
	})
	return out, err
}

// PendingReplications returns how many replications this node still has
// to see confirmed by their holders.
func (n *Node) PendingReplications() (int, error) {
	ts, err := n.queued()
	return len(ts), err
}

// retryLoop runs due queued tasks until ctx ends.
func (n *Node) retryLoop(ctx context.Context) {
	tick := time.NewTicker(replRetryTick)
	defer tick.Stop()
	for {
		n.retryDue()
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
func (n *Node) retryDue() {
	ts, err := n.queued()
	if err != nil {
		n.log.Warn("read replication queue", "err", err)
		return
	}
	now := time.Now()
	live := n.liveMembers()
	for _, t := range ts {
		n.repl.mu.Lock()
		_, running := n.repl.running[t]
		due := !running && n.repl.next[t].Before(now)
		full := n.repl.background >= maxBackgroundTasks
		n.repl.mu.Unlock()
		if full {
			return
		}
		if !due {
			continue
		}
		if !slices.Contains(n.holdersAmong(n.ctx, t.id, live), t.holder) {
			n.dropTask(t)
			continue
		}
		n.startTask(t, nil)
	}
}

// dropTask forgets a queued task and its backoff.
func (n *Node) dropTask(t replTask) {
	n.dequeue(t)
	n.repl.mu.Lock()
	delete(n.repl.fails, t)
	delete(n.repl.next, t)
	n.repl.mu.Unlock()
	n.log.Debug("replication dropped: no longer a live holder", "id", t.id, "holder", t.holder)
}

// startTask runs t unless it is running already; done (if not nil)
// receives its outcome either way. A task nobody waits for (done nil)
// starts only while fewer than maxBackgroundTasks such tasks run, so
// that a repair after a member died does not start one download per
// object at once; it stays queued for the retry loop otherwise.
func (n *Node) startTask(t replTask, done chan error) {
	n.repl.mu.Lock()
	waiters, running := n.repl.running[t]
	if !running && done == nil && n.repl.background >= maxBackgroundTasks {
		n.repl.mu.Unlock()
		return
	}
	if done != nil {
		waiters = append(waiters, done)
	}
	n.repl.running[t] = waiters
	if !running {
		n.repl.background++
	}
	n.repl.mu.Unlock()
	if running {
		return
	}
	if !n.track() {
		n.finishTask(t, context.Canceled)
		return
	}
	go func() {
		defer n.bg.Done()
		n.finishTask(t, n.runTask(n.ctx, t))
	}()
}

// finishTask dequeues a task that succeeded, backs off one that failed,
// and tells its waiters.
func (n *Node) finishTask(t replTask, err error) {
	if err == nil || errors.Is(err, swarm.ErrNotFound) {
		n.dequeue(t) // durable there, or no longer here to replicate
	} else if n.ctx.Err() == nil {
		n.log.Debug("replication failed, will retry", "id", t.id, "holder", t.holder, "err", err)
	}
	n.repl.mu.Lock()
	waiters := n.repl.running[t]
	delete(n.repl.running, t)
	n.repl.background--
	if err == nil {
		delete(n.repl.fails, t)
		delete(n.repl.next, t)
	} else {
		n.repl.fails[t]++
		wait := min(replBackoffMin<<min(n.repl.fails[t]-1, 16), replBackoffMax)
		n.repl.next[t] = time.Now().Add(wait)
	}
	n.repl.mu.Unlock()
	for _, w := range waiters {
		w <- err
	}
}
