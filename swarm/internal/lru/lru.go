package lru

import (
	"cmp"
	"container/list"
	"slices"
	"sync"
	"time"
)

// ID names a cached object (the swarm's object ID).
type ID = [20]byte

// TouchPersistEvery bounds how often one object's access time is marked
// for writing: a hot cached object costs at most one small commit a
// minute, and after a crash (not a Close, which writes them all) the
// order is off by at most that much.
const TouchPersistEvery = time.Minute

// UnpinGrace is how long an object stays after its download is seen to
// have no users. The last user may be a Fetch, which takes its reference
// just after leaving the download: evicting the object in between would
// make it download the object again (with no cache, every time).
const UnpinGrace = time.Second

// Pin keeps an object from eviction while it has users: the download
// that committed it, whose remote readers (reading through its torrent)
// or Fetch still wait on it.
type Pin interface {
	// Users returns how many callers use the download now.
	Users() int
}

// Entry is one cached object as the database holds it.
type Entry struct {
	ID   ID
	Size int64
	At   int64 // last access, Unix nanoseconds; 0 if never written
}

// entry is one indexed object.
type entry struct {
	id    ID
	size  int64
	at    int64 // last access, Unix nanoseconds
	saved int64 // the access time last written, 0 if none
	// p is the download that committed the object, while it may have
	// users; graceEnd is when UnpinGrace ends once it has none.
	p        Pin
	graceEnd time.Time
}

// Index orders cached objects by last access and counts their bytes.
//
// Lock order: Index, then whatever a Pin's Users takes.
type Index struct {
	limit int64 // bytes; 0 keeps nothing

	mu    sync.Mutex
	order *list.List // of *entry, most recently used first
	byID  map[ID]*list.Element
	bytes int64
	dirty map[ID]struct{} // entries whose access time must be written
}

// New returns an empty index with a budget of limit bytes.
func New(limit int64) *Index {
	return &Index{limit: limit, order: list.New(), byID: make(map[ID]*list.Element), dirty: make(map[ID]struct{})}
}

// Limit returns the budget in bytes.
func (x *Index) Limit() int64 { return x.limit }

// Restore indexes objects read from the database, in the order of their
// access times (an object with none is the least recently used), each
// time counted as written.
func (x *Index) Restore(entries []Entry) {
	slices.SortStableFunc(entries, func(a, b Entry) int { return cmp.Compare(a.At, b.At) })
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, e := range entries {
		x.byID[e.ID] = x.order.PushFront(&entry{id: e.ID, size: e.Size, at: e.At, saved: e.At})
		x.bytes += e.Size
	}
}

// Add indexes id as the most recently used object, its access time to be
// written; p, if not nil, pins it while the download has users.
func (x *Index) Add(id ID, size, at int64, p Pin) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if el, ok := x.byID[id]; ok {
		e := el.Value.(*entry)
		x.bytes += size - e.size
		e.size, e.at, e.p = size, at, p
		x.order.MoveToFront(el)
	} else {
		x.byID[id] = x.order.PushFront(&entry{id: id, size: size, at: at, p: p})
		x.bytes += size
	}
	x.dirty[id] = struct{}{}
}

// Touch makes a cached object the most recently used, and reports
// whether its access time is now to be written: at most once per
// TouchPersistEvery.
func (x *Index) Touch(id ID) bool {
	now := time.Now().UnixNano()
	x.mu.Lock()
	defer x.mu.Unlock()
	el, ok := x.byID[id]
	if !ok {
		return false
	}
	e := el.Value.(*entry)
	e.at = now
	x.order.MoveToFront(el)
	if now-e.saved >= int64(TouchPersistEvery) {
		x.dirty[id] = struct{}{}
		return true
	}
	return false
}

// Forget drops id from the index: it gained a reference or was removed.
func (x *Index) Forget(id ID) {
	x.mu.Lock()
	defer x.mu.Unlock()
	el, ok := x.byID[id]
	if !ok {
		return
	}
	x.order.Remove(el)
	delete(x.byID, id)
	delete(x.dirty, id)
	x.bytes -= el.Value.(*entry).size
}

// Stats returns the number and bytes of cached objects.
func (x *Index) Stats() (n int, bytes int64) {
	x.mu.Lock()
	defer x.mu.Unlock()
	return len(x.byID), x.bytes
}

// IDs returns the indexed objects, in no order.
func (x *Index) IDs() []ID {
	x.mu.Lock()
	defer x.mu.Unlock()
	ids := make([]ID, 0, len(x.byID))
	for id := range x.byID {
		ids = append(ids, id)
	}
	return ids
}
