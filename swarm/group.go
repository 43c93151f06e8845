package swarm

import (
	"sync"

	"github.com/dgraph-io/badger/v4"
)

// groupCommitter merges concurrent small commits into one transaction.
// Badger v4 batches concurrent transactions but still syncs its WAL once
// per transaction (writeToLSM ends with SyncWAL), so on this machine 16
// writers reached only ~730 synced commits/s; one transaction per group
// pays the two syncs once for every waiting PUT.
type groupCommitter struct {
	db   *badger.DB
	reqs chan *commitReq
	quit chan struct{}
	wg   sync.WaitGroup

	mu     sync.RWMutex // held for reading while sending, so close sees every request
	closed bool
}

// commitReq is one caller's part of a group. fn must be safe to run again
// (after a conflict, or alone after another member failed).
type commitReq struct {
	fn   func(txn *badger.Txn) error
	done chan error
}

const (
	maxGroup = 128
)

func newGroupCommitter(db *badger.DB) *groupCommitter {
	g := &groupCommitter{db: db, reqs: make(chan *commitReq, maxGroup), quit: make(chan struct{})}
	g.wg.Go(g.loop)
	return g
}

// commit runs fn in a transaction shared with other concurrent callers
// and returns when it is durable.
func (g *groupCommitter) commit(fn func(txn *badger.Txn) error) error {
	r := &commitReq{fn: fn, done: make(chan error, 1)}
	g.mu.RLock()
	if g.closed {
		g.mu.RUnlock()
		return ErrClosed
	}
	g.reqs <- r // the loop runs until close, which waits for this RLock
	g.mu.RUnlock()
	return <-r.done
}

func (g *groupCommitter) loop() {
	for {
		select {
		case r := <-g.reqs:
			g.run(g.gather(r))
		case <-g.quit:
			g.drain()
			return
		}
	}
}

// gather takes whatever else is already waiting, without waiting more:
// the group is the commits that queued while the last one synced.
func (g *groupCommitter) gather(first *commitReq) []*commitReq {
	group := []*commitReq{first}
	for len(group) < maxGroup {
		select {
		case r := <-g.reqs:
			group = append(group, r)
		default:
			return group
		}
	}
	return group
}

// run commits a group; if any member fails, each commits on its own so
// one bad request cannot fail the others.
func (g *groupCommitter) run(group []*commitReq) {
	err := updateRetry(g.db, func(txn *badger.Txn) error {
		for _, r := range group {
			if err := r.fn(txn); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil || len(group) == 1 {
		for _, r := range group {
			r.done <- err
		}
		return
	}
	for _, r := range group {
		r.done <- updateRetry(g.db, r.fn)
	}
}

func (g *groupCommitter) drain() {
	for {
		select {
		case r := <-g.reqs:
			r.done <- ErrClosed
		default:
			return
		}
	}
}

func (g *groupCommitter) close() {
	g.mu.Lock()
	g.closed = true
	g.mu.Unlock()
	close(g.quit)
	g.wg.Wait()
	g.drain()
}
