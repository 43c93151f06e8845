package swarm

import (
	"cmp"
	"container/list"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// prefixCache keys hold the last access time of a cached object (8 bytes,
// big-endian Unix nanoseconds), so the eviction order survives a restart.
// Only objects with no reference have one.
const prefixCache = "swarm/c/"

// touchPersistEvery bounds how often one object's access time is written:
// a hot cached object costs at most one small commit a minute, and after a
// crash (not a Close, which writes them all) the order is off by at most
// that much.
const touchPersistEvery = time.Minute

// flushBatch bounds the access times written in one transaction.
const flushBatch = 1000

// cache indexes the cached objects (stored with no reference, by a remote
// read) in least-recently-used order and evicts the oldest while their
// bytes exceed the budget. Objects with references are never in it.
//
// The index is in memory and rebuilt at open from the records and the
// prefixCache access times. Registration, touches and removals change it
// at once; access times are written and evictions run on one background
// goroutine, so no read or commit waits for them.
//
// Lock order: cache.mu, then engine.mu (pinned reads a download's users).
type cache struct {
	s     *Swarm
	limit int64 // bytes; 0 keeps nothing

	mu    sync.Mutex
	order *list.List // of *cacheEntry, most recently used first
	byID  map[ID]*list.Element
	bytes int64
	dirty map[ID]struct{} // entries whose access time must be written
	wake  chan struct{}
	wg    sync.WaitGroup // the background loop
}

// cacheEntry is one cached object.
type cacheEntry struct {
	id    ID
	size  int64
	at    int64 // last access, Unix nanoseconds
	saved int64 // the access time last written, 0 if none
	// p is the download that committed the object, while it may have
	// users; graceEnd is when unpinGrace ends once it has none.
	p        *partial
	graceEnd time.Time
}

// cacheLimit turns Config.CacheSize into the byte budget.
func cacheLimit(size int64) int64 {
	switch {
	case size == 0:
		return DefaultCacheSize
	case size < 0:
		return 0
	}
	return size
}

func newCache(s *Swarm, size int64) *cache {
	return &cache{
		s:     s,
		limit: cacheLimit(size),
		order: list.New(),
		byID:  make(map[ID]*list.Element),
		dirty: make(map[ID]struct{}),
		wake:  make(chan struct{}, 1),
	}
}

// cacheCommitted registers id if it is stored with no reference: a remote
// read has just committed it. A reference taken or a removal committed
// between the two record reads is seen by the second, and one committed
// after it removes the entry itself (forget), so no held or deleted
// object stays indexed.
func (s *Swarm) cacheCommitted(id ID) {
	rec, err := s.record(id)
	if err != nil || rec.refs != 0 {
		return
	}
	s.cache.add(id, rec.size, time.Now().UnixNano(), s.eng.fetching(id))
	if rec, err := s.record(id); isNotFound(err) || (err == nil && rec.refs != 0) {
		s.cache.forget(id)
	}
	s.cache.kick()
}

// add indexes id as the most recently used object, its access time to be
// written.
func (c *cache) add(id ID, size, at int64, p *partial) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.byID[id]; ok {
		e := el.Value.(*cacheEntry)
		c.bytes += size - e.size
		e.size, e.at, e.p = size, at, p
		c.order.MoveToFront(el)
	} else {
		c.byID[id] = c.order.PushFront(&cacheEntry{id: id, size: size, at: at, p: p})
		c.bytes += size
	}
	c.dirty[id] = struct{}{}
}

// touch makes a cached object the most recently used. Its access time is
// written at most once per touchPersistEvery.
func (c *cache) touch(id ID) {
	now := time.Now().UnixNano()
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.byID[id]
	if !ok {
		return
	}
	e := el.Value.(*cacheEntry)
	e.at = now
	c.order.MoveToFront(el)
	if now-e.saved >= int64(touchPersistEvery) {
		c.dirty[id] = struct{}{}
		c.kick()
	}
}

// forget drops id from the index: it gained a reference or was removed.
// Its prefixCache key is deleted by the transaction that did so.
func (c *cache) forget(id ID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.byID[id]
	if !ok {
		return
	}
	c.order.Remove(el)
	delete(c.byID, id)
	delete(c.dirty, id)
	c.bytes -= el.Value.(*cacheEntry).size
}

// kick wakes the background loop without waiting.
func (c *cache) kick() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// stats returns the number and bytes of cached objects.
func (c *cache) stats() (n int, bytes int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.byID), c.bytes
}

// start runs the background loop until ctx ends.
func (c *cache) start(ctx context.Context) { c.wg.Go(func() { c.run(ctx) }) }

// close waits for the background loop to end, then writes every access
// time not yet written, so a clean restart keeps the exact order. The
// swarm calls it once its downloads have stopped: none registers after.
func (c *cache) close() {
	c.wg.Wait()
	c.flush(true)
}

// run writes access times and enforces the budget when kicked, and once
// per touchPersistEvery in case a download's last user left without a
// kick.
func (c *cache) run(ctx context.Context) {
	retry := c.enforce(ctx) // the budget may have shrunk since the last run
	tick := time.NewTicker(touchPersistEvery)
	defer tick.Stop()
	for {
		var later <-chan time.Time
		if !retry.IsZero() {
			later = time.After(time.Until(retry))
		}
		select {
		case <-c.wake:
		case <-tick.C:
		case <-later:
		case <-ctx.Done():
			return
		}
		retry = c.enforce(ctx)
		c.flush(false)
	}
}

// enforce evicts least recently used objects while the cached bytes
// exceed the budget, and returns when to try again for objects kept only
// by unpinGrace (zero if none). A victim may gain a reference between
// the pick and Evict: Evict then refuses (ErrHeld) and the object leaves
// the index held, as it would have through addRefs.
func (c *cache) enforce(ctx context.Context) (retry time.Time) {
	failed := make(map[ID]bool)
	for ctx.Err() == nil {
		id, ok, retry := c.victim(failed)
		if !ok {
			return retry
		}
		err := c.s.Evict(ctx, id)
		switch {
		case err == nil:
			c.s.log.Debug("evicted cached object", "id", id)
		case errors.Is(err, ErrHeld), errors.Is(err, ErrNotFound):
			c.forget(id)
		default:
			if ctx.Err() == nil {
				c.s.log.Warn("evict cached object", "id", id, "err", err)
			}
			failed[id] = true // retried at the next kick
		}
	}
	return time.Time{}
}

// victim picks the least recently used object that may be evicted now,
// if the cached bytes exceed the budget; with none, it returns the
// earliest time one kept by unpinGrace may go.
func (c *cache) victim(failed map[ID]bool) (id ID, ok bool, retry time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.bytes <= c.limit {
		return ID{}, false, time.Time{}
	}
	now := time.Now()
	for el := c.order.Back(); el != nil; el = el.Prev() {
		e := el.Value.(*cacheEntry)
		switch {
		case failed[e.id] || c.pinned(e):
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

// unpinGrace is how long an object stays after its download is seen to
// have no users. The last user may be a Fetch, which takes its reference
// just after leaving the download: evicting the object in between would
// make it download the object again (with no cache, every time).
const unpinGrace = time.Second

// pinned reports whether users of e's download (remote readers, which
// read through its torrent, or a Fetch) still wait on it. A committed
// download gains no users, so the first time it has none the entry
// forgets it and its grace starts.
func (c *cache) pinned(e *cacheEntry) bool {
	if e.p == nil {
		return false
	}
	c.s.eng.mu.Lock()
	users := e.p.users
	c.s.eng.mu.Unlock()
	if users > 0 {
		return true
	}
	e.p, e.graceEnd = nil, time.Now().Add(unpinGrace)
	return false
}

// stamp is an access time to write.
type stamp struct {
	id ID
	at int64
}

// flush writes the access times of dirty entries, or with all of every
// entry whose last access is not written yet.
func (c *cache) flush(all bool) {
	c.mu.Lock()
	if all {
		for id, el := range c.byID {
			if e := el.Value.(*cacheEntry); e.at != e.saved {
				c.dirty[id] = struct{}{}
			}
		}
	}
	batch := make([]stamp, 0, len(c.dirty))
	for id := range c.dirty {
		if el, ok := c.byID[id]; ok {
			batch = append(batch, stamp{id, el.Value.(*cacheEntry).at})
		}
	}
	clear(c.dirty)
	c.mu.Unlock()
	for chunk := range slices.Chunk(batch, flushBatch) {
		if err := c.s.update(func(txn *badger.Txn) error { return putStamps(txn, chunk) }); err != nil {
			c.s.log.Warn("write cache access times", "err", err)
			return // the index is right; the order after a restart may not be
		}
		c.saved(chunk)
	}
}

// putStamps writes access times for objects still cached. Reading each
// record makes the write conflict with a concurrent reference or
// removal, so no key outlives its object's cached state.
func putStamps(txn *badger.Txn, batch []stamp) error {
	for _, st := range batch {
		rec, err := getRecord(txn, st.id)
		if isNotFound(err) || (err == nil && rec.refs != 0) {
			continue
		}
		if err != nil {
			return err
		}
		if err := txn.Set(key(prefixCache, st.id), binary.BigEndian.AppendUint64(nil, uint64(st.at))); err != nil {
			return err
		}
	}
	return nil
}

// saved notes the access times now written.
func (c *cache) saved(batch []stamp) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, st := range batch {
		if el, ok := c.byID[st.id]; ok {
			e := el.Value.(*cacheEntry)
			e.saved = max(e.saved, st.at)
		}
	}
}

// load rebuilds the index from the database in one pass over the access
// times and one over the records: every record with no reference is
// cached, at its stored access time or, if it has none (committed before
// access times were kept, or a crash came before they were written), as
// the least recently used. Access times whose object is gone or held are
// deleted.
func (c *cache) load() error {
	var entries []*cacheEntry
	var stale []ID
	err := c.s.db.View(func(txn *badger.Txn) error {
		stamps, err := scanStamps(txn)
		if err != nil {
			return err
		}
		err = scanPrefix(txn, prefixObject, func(id ID, v []byte) error {
			refs, size, err := peekRecord(v)
			if err != nil {
				c.s.log.Warn("cache index: skip record", "id", id, "err", err)
				return nil // one bad record must not keep the node down
			}
			at, ok := stamps[id]
			delete(stamps, id)
			if refs == 0 {
				entries = append(entries, &cacheEntry{id: id, size: size, at: at, saved: at})
			} else if ok {
				stale = append(stale, id)
			}
			return nil
		})
		for id := range stamps {
			stale = append(stale, id)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("swarm: load cache index: %w", err)
	}
	slices.SortStableFunc(entries, func(a, b *cacheEntry) int { return cmp.Compare(a.at, b.at) })
	for _, e := range entries {
		c.byID[e.id] = c.order.PushFront(e)
		c.bytes += e.size
	}
	return c.deleteStamps(stale)
}

// scanStamps reads every stored access time.
func scanStamps(txn *badger.Txn) (map[ID]int64, error) {
	stamps := make(map[ID]int64)
	err := scanPrefix(txn, prefixCache, func(id ID, v []byte) error {
		if len(v) == 8 {
			stamps[id] = int64(binary.BigEndian.Uint64(v))
		}
		return nil
	})
	return stamps, err
}

// scanPrefix calls fn with the ID and value of every key under prefix.
func scanPrefix(txn *badger.Txn, prefix string, fn func(ID, []byte) error) error {
	it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(prefix), PrefetchValues: true, PrefetchSize: 256})
	defer it.Close()
	for it.Rewind(); it.Valid(); it.Next() {
		item := it.Item()
		var id ID
		if len(item.Key()) != len(prefix)+len(id) {
			continue
		}
		copy(id[:], item.Key()[len(prefix):])
		if err := item.Value(func(v []byte) error { return fn(id, v) }); err != nil {
			return err
		}
	}
	return nil
}

// peekRecord reads a record's references and size without decoding the
// rest: load runs over every object at open.
func peekRecord(b []byte) (refs, size int64, err error) {
	if len(b) < recordFixed || b[0] != recordVersion {
		return 0, 0, fmt.Errorf("swarm: corrupt record")
	}
	return int64(binary.BigEndian.Uint64(b[66:])), int64(binary.BigEndian.Uint64(b[2:])), nil
}

// deleteStamps removes access times left by objects no longer cached.
func (c *cache) deleteStamps(ids []ID) error {
	if len(ids) == 0 {
		return nil
	}
	wb := c.s.db.NewWriteBatch()
	defer wb.Cancel()
	for _, id := range ids {
		if err := wb.Delete(key(prefixCache, id)); err != nil {
			return fmt.Errorf("swarm: delete stale cache keys: %w", err)
		}
	}
	if err := wb.Flush(); err != nil {
		return fmt.Errorf("swarm: delete stale cache keys: %w", err)
	}
	return nil
}
