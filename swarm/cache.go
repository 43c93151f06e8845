package swarm

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/d3s/d3s/swarm/internal/lru"
)

// prefixCache keys hold the last access time of a cached object (8 bytes,
// big-endian Unix nanoseconds), so the eviction order survives a restart.
// Only objects with no reference have one.
const prefixCache = "swarm/c/"

// flushBatch bounds the access times written in one transaction.
const flushBatch = 1000

// cache keeps the cached objects (stored with no reference, by a remote
// read) under the budget: it evicts the least recently used while their
// bytes exceed it. Objects with references are never in it.
//
// Its index (lru.Index) is in memory and rebuilt at open from the records
// and the prefixCache access times. Registration, touches and removals
// change it at once; access times are written and evictions run on one
// background goroutine, so no read or commit waits for them.
type cache struct {
	s    *Swarm
	idx  *lru.Index
	wake chan struct{}
	wg   sync.WaitGroup // the background loop
}

// downloadPin pins a cached object while the download that committed it
// has users (lru.Pin).
type downloadPin struct {
	e *engine
	p *partial
}

// Users returns the download's users.
func (d downloadPin) Users() int {
	d.e.mu.Lock()
	defer d.e.mu.Unlock()
	return d.p.users
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
	return &cache{s: s, idx: lru.New(cacheLimit(size)), wake: make(chan struct{}, 1)}
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
	var pin lru.Pin
	if p := s.eng.fetching(id); p != nil {
		pin = downloadPin{s.eng, p}
	}
	s.cache.idx.Add(id, rec.size, time.Now().UnixNano(), pin)
	if rec, err := s.record(id); isNotFound(err) || (err == nil && rec.refs != 0) {
		s.cache.idx.Forget(id)
	}
	s.cache.kick()
}

// touch makes a cached object the most recently used, and wakes the
// background loop when its access time is to be written.
func (c *cache) touch(id ID) {
	if c.idx.Touch(id) {
		c.kick()
	}
}

// kick wakes the background loop without waiting.
func (c *cache) kick() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
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
// per lru.TouchPersistEvery in case a download's last user left without a
// kick.
func (c *cache) run(ctx context.Context) {
	retry := c.enforce(ctx) // the budget may have shrunk since the last run
	tick := time.NewTicker(lru.TouchPersistEvery)
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
// by lru.UnpinGrace (zero if none). A victim may gain a reference between
// the pick and Evict: Evict then refuses (ErrHeld) and the object leaves
// the index held, as it would have through addRefs.
func (c *cache) enforce(ctx context.Context) (retry time.Time) {
	failed := make(map[lru.ID]bool)
	for ctx.Err() == nil {
		id, ok, retry := c.idx.Victim(failed)
		if !ok {
			return retry
		}
		err := c.s.Evict(ctx, id)
		switch {
		case err == nil:
			c.s.log.Debug("evicted cached object", "id", id)
		case errors.Is(err, ErrHeld), errors.Is(err, ErrNotFound):
			c.idx.Forget(id)
		default:
			if ctx.Err() == nil {
				c.s.log.Warn("evict cached object", "id", id, "err", err)
			}
			failed[id] = true // retried at the next kick
		}
	}
	return time.Time{}
}

// flush writes the access times of dirty entries, or with all of every
// entry whose last access is not written yet.
func (c *cache) flush(all bool) {
	batch := c.idx.Dirty(all)
	for chunk := range slices.Chunk(batch, flushBatch) {
		if err := c.s.update(func(txn *badger.Txn) error { return putStamps(txn, chunk) }); err != nil {
			c.s.log.Warn("write cache access times", "err", err)
			return // the index is right; the order after a restart may not be
		}
		c.idx.Saved(chunk)
	}
}

// putStamps writes access times for objects still cached. Reading each
// record makes the write conflict with a concurrent reference or
// removal, so no key outlives its object's cached state.
func putStamps(txn *badger.Txn, batch []lru.Stamp) error {
	for _, st := range batch {
		rec, err := getRecord(txn, st.ID)
		if isNotFound(err) || (err == nil && rec.refs != 0) {
			continue
		}
		if err != nil {
			return err
		}
		if err := txn.Set(key(prefixCache, st.ID), binary.BigEndian.AppendUint64(nil, uint64(st.At))); err != nil {
			return err
		}
	}
	return nil
}

// load rebuilds the index from the database in one pass over the access
// times and one over the records: every record with no reference is
// cached, at its stored access time or, if it has none (committed before
// access times were kept, or a crash came before they were written), as
// the least recently used. Access times whose object is gone or held are
// deleted.
func (c *cache) load() error {
	var entries []lru.Entry
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
				entries = append(entries, lru.Entry{ID: id, Size: size, At: at})
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
	c.idx.Restore(entries)
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
