package lru

import "time"

// Victim picks the least recently used object that may be evicted now,
// if the cached bytes exceed the budget, skipping those in failed; with
// none, it returns the earliest time one kept by UnpinGrace may go.
func (x *Index) Victim(failed map[ID]bool) (id ID, ok bool, retry time.Time) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.bytes <= x.limit {
		return ID{}, false, time.Time{}
	}
	now := time.Now()
	for el := x.order.Back(); el != nil; el = el.Prev() {
		e := el.Value.(*entry)
		switch {
		case failed[e.id] || pinned(e):
		case now.Before(e.graceEnd):
			if retry.IsZero() || e.graceEnd.Before(retry) {
				retry = e.graceEnd
			}
		default:
			return e.id, true, time.Time{}
		}
	}
	return ID{}, false, retry
}

// pinned reports whether users of e's download still wait on it. A
// committed download gains no users, so the first time it has none the
// entry forgets it and its grace starts.
func pinned(e *entry) bool {
	if e.p == nil {
		return false
	}
	if e.p.Users() > 0 {
		return true
	}
	e.p, e.graceEnd = nil, time.Now().Add(UnpinGrace)
	return false
}

// Stamp is an access time to write.
type Stamp struct {
	ID ID
	At int64
}

// Dirty returns the access times to write and clears the set: those
// marked (Add, Touch), or with all every one not written yet.
func (x *Index) Dirty(all bool) []Stamp {
	x.mu.Lock()
	defer x.mu.Unlock()
	if all {
		for id, el := range x.byID {
			if e := el.Value.(*entry); e.at != e.saved {
				x.dirty[id] = struct{}{}
			}
		}
	}
	batch := make([]Stamp, 0, len(x.dirty))
	for id := range x.dirty {
		if el, ok := x.byID[id]; ok {
			batch = append(batch, Stamp{id, el.Value.(*entry).at})
		}
	}
	clear(x.dirty)
	return batch
}

// Saved notes the access times now written.
func (x *Index) Saved(batch []Stamp) {
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, st := range batch {
		if el, ok := x.byID[st.ID]; ok {
			e := el.Value.(*entry)
			e.saved = max(e.saved, st.At)
		}
	}
}
