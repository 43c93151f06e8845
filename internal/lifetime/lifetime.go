package lifetime

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"
)

// Group tracks one owner's loops and background work. The zero value is
// not usable; call New.
type Group struct {
	ctx    context.Context
	cancel context.CancelFunc
	loops  sync.WaitGroup
	work   sync.WaitGroup

	mu     sync.Mutex
	closed bool
}

// New returns an open Group whose context lives until Cancel.
func New() *Group {
	g := &Group{}
	g.ctx, g.cancel = context.WithCancel(context.Background())
	return g
}

// Context returns the owner's lifetime context, cancelled by Cancel.
func (g *Group) Context() context.Context { return g.ctx }

// Loop runs f on the lifetime context in a goroutine that Wait waits for.
func (g *Group) Loop(f func(ctx context.Context)) {
	g.loops.Go(func() { f(g.ctx) })
}

// Begin registers background work that Wait must wait for; false once the
// group is closed, when no new work may start. Each true Begin needs one
// End.
func (g *Group) Begin() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return false
	}
	g.work.Add(1)
	return true
}

// End ends work registered by Begin.
func (g *Group) End() { g.work.Done() }

// Go runs f in a goroutine as background work, unless the group is
// closed; it reports whether f was started.
func (g *Group) Go(f func()) bool {
	if !g.Begin() {
		return false
	}
	go func() {
		defer g.End()
		f()
	}()
	return true
}

// Close refuses new background work from now on; it does not cancel the
// context, so that work in flight (requests draining) can finish.
func (g *Group) Close() {
	g.mu.Lock()
	g.closed = true
	g.mu.Unlock()
}

// Closed reports whether Close was called.
func (g *Group) Closed() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.closed
}

// Cancel cancels the lifetime context.
func (g *Group) Cancel() { g.cancel() }

// Wait waits for the loops, then for the background work.
func (g *Group) Wait() {
	g.loops.Wait()
	g.work.Wait()
}

// Sleep waits for d (no time when d <= 0) and reports whether ctx is
// still live.
func Sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// Jitter returns d ±10%, so that the nodes of a network started together
// do not all run their periodic passes at once.
func Jitter(d time.Duration) time.Duration {
	return d - d/10 + rand.N(d/5+1)
}
