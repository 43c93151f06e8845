package users

import "testing"

// closed reports whether ch is closed.
func closed(ch chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// TestFreshnessStates follows a node's life: it starts unmerged, merges
// with a member, loses its last member (stale until it merges again), and
// a second merge or stale mark changes nothing.
func TestFreshnessStates(t *testing.T) {
	f := newFreshness()
	if closed(f.state()) {
		t.Fatal("a starting node counts as merged")
	}
	waiting := f.state()
	f.markMerged()
	f.markMerged()
	if !closed(waiting) || !closed(f.state()) {
		t.Fatal("a merge does not release the waiters")
	}
	f.markStale()
	stale := f.state()
	f.markStale()
	if closed(stale) || f.state() != stale {
		t.Fatal("losing the last member does not make the records stale, once")
	}
	f.markMerged()
	if !closed(stale) {
		t.Fatal("the merge after a rejoin does not release the waiters")
	}
	if !f.claim() || f.claim() {
		t.Error("two exchanges claimed at once")
	}
	f.release()
	if !f.claim() {
		t.Error("no exchange can start after the last one ended")
	}
}
