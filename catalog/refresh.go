package catalog

import (
	"context"
	"fmt"
	"time"
)

// Background refresh.
const (
	// activeWindow is how long after its last read a bucket is kept
	// fresh by the background loop.
	activeWindow = 2 * time.Minute
	// fetchTimeout bounds one revalidation, which goes on in the
	// background when a reader stops waiting for it.
	fetchTimeout = 30 * time.Second
	// verifyAgeRatio and maxVerifyInterval space the revalidations of a
	// bucket this node wrote to (watchedKeys): about verifyAgeRatio of
	// them over the age of its last write (every 30 s an hour after, 12
	// minutes a day after), at most maxVerifyInterval apart.
	verifyAgeRatio    = 120
	maxVerifyInterval = time.Hour
)

// Refresh revalidates user's bucket (or, with bucket "", the bucket list)
// against the network if the cached head is older than Staleness. It
// waits at most RefreshWait for the network and then serves the cache
// (the revalidation completes in the background), so a slow or absent
// network never blocks a read of a bucket whose newest known head is
// merged. For a bucket whose newest known head could not be merged (its
// snapshot blobs cannot be fetched), or that was never merged here and
// whose first revalidation did not end well within firstMergeWait, it
// returns an error wrapping ErrUnavailable: the cache may be missing keys
// that exist. Otherwise it returns only ctx's error. On a local-only
// catalogue it does nothing. A bucket not known locally also revalidates
// the bucket list, so buckets created on other nodes appear.
func (c *Catalog) Refresh(ctx context.Context, user, bucket string) error {
	s := c.sync.Load()
	if s == nil {
		return ctx.Err()
	}
	k := bkey{User: user, Bucket: bucket}
	if s.strong() {
		if err := (strongSync{s}).refreshStrong(ctx, k); err != nil {
			return err
		}
		return s.available(k)
	}
	if done := s.refresh(k); done != nil {
		s.awaitRefresh(ctx, k, done)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.available(k)
}

// refresh starts a revalidation of k unless it is fresh or one is
// running, and returns the channel closed when the revalidation ends (nil
// when k is fresh). A read marks k used, so the background loop keeps it
// fresh.
func (s *syncer) refresh(k bkey) <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.state(k)
	now := time.Now()
	st.used = now
	if st.inflight != nil {
		return st.inflight
	}
	if now.Sub(st.checked) < s.cfg.Staleness || s.ctx.Err() != nil {
		return nil
	}
	st.inflight = make(chan struct{})
	s.wg.Add(1)
	go s.fetch(k, st, st.inflight)
	return st.inflight
}

// fetch revalidates k and marks it checked, also after a failure, so a
// dead network costs a read at most RefreshWait per Staleness.
func (s *syncer) fetch(k bkey, st *bstate, done chan struct{}) {
	defer s.wg.Done()
	ctx, cancel := context.WithTimeout(s.ctx, fetchTimeout)
	defer cancel()
	if err := s.pull(ctx, k, false); err != nil && s.ctx.Err() == nil {
		s.log.Info("revalidate", "user", k.User, "bucket", k.Bucket, "err", err)
	}
	s.mu.Lock()
	st.checked = time.Now()
	st.inflight = nil
	s.mu.Unlock()
	close(done)
}

// pull merges k's published record; for a bucket not known locally it
// first merges the bucket list. strict: see Revalidate.
func (s *syncer) pull(ctx context.Context, k bkey, strict bool) error {
	if k.Bucket != "" {
		live, err := s.st.BucketLive(k)
		if err != nil {
			return err
		}
		if !live {
			if err := s.pullLocked(ctx, bkey{User: k.User}, strict); err != nil {
				return err
			}
		}
	}
	return s.pullLocked(ctx, k, strict)
}

// pullLocked merges k's published record under k's work lock.
func (s *syncer) pullLocked(ctx context.Context, k bkey, strict bool) error {
	st := s.stateOf(k)
	st.work.Lock()
	defer st.work.Unlock()
	if s.strong() {
		return strongSync{s}.pullStrong(ctx, k, st)
	}
	if k.Bucket == "" {
		return s.pullList(ctx, k, strict)
	}
	return s.pullHead(ctx, k, strict)
}

// missing is what finding no published record for k means: nothing for
// a refresh, nor for a record this node never merged (not published
// yet); for a strict pull of one it merged before, that the network did
// not answer (an error wrapping ErrNoRecord).
func (s *syncer) missing(k bkey, strict bool) error {
	if !strict {
		return nil
	}
	base, err := s.st.LoadBase(k)
	if err != nil || base == nil {
		return err
	}
	return fmt.Errorf("%w for %s/%s, merged here before: the network did not answer", ErrNoRecord, k.User, k.Bucket)
}

// Revalidate fetches user's bucket (or, with bucket "", the bucket list)
// from Records now and merges it, waiting for the lookup to end (at most
// fetchTimeout) where Refresh stops waiting after RefreshWait, and
// returns what went wrong, including no record found for one merged here
// before, where Refresh serves the cache. It is for callers that act on
// what no entry references (collecting replicas), where a stale answer
// loses data. What a lookup that reaches no peer answers is up to
// Records (the node's DHT answers with the newest record it has seen).
// On a local-only catalogue it does nothing.
func (c *Catalog) Revalidate(ctx context.Context, user, bucket string) error {
	s := c.sync.Load()
	if s == nil {
		return ctx.Err()
	}
	ctx, cancel := context.WithTimeout(ctx, fetchTimeout)
	defer cancel()
	k := bkey{User: user, Bucket: bucket}
	if err := s.pull(ctx, k, true); err != nil {
		return err
	}
	s.mu.Lock()
	s.state(k).checked = time.Now()
	s.mu.Unlock()
	return nil
}

// refreshLoop keeps recently read buckets and bucket lists fresh, so a
// read rarely waits for the network and sees other nodes' writes within
// about Staleness/2 of their publication; it revalidates the buckets this
// node wrote to within TombstoneTTL now and then, so a head that lost
// their writes is noticed (restoreLost); every BlobGrace/4 it releases
// the snapshot blobs that are due (sweep).
func (s *syncer) refreshLoop() {
	defer s.wg.Done()
	period := max(s.cfg.Staleness/2, 50*time.Millisecond)
	var swept time.Time
	for s.sleep(period) {
		if !s.strong() { // strong reads check a majority themselves
			for _, k := range s.activeKeys() {
				s.refreshIfDue(k, period)
			}
		}
		for k, every := range s.watchedKeys() {
			s.refreshIfDue(k, every)
		}
		if time.Since(swept) >= s.cfg.BlobGrace/4 {
			swept = time.Now()
			if err := s.sweep(s.ctx); err != nil && s.ctx.Err() == nil {
				s.log.Warn("release snapshot blobs", "err", err)
			}
		}
	}
}

// activeKeys returns the keys read within activeWindow.
func (s *syncer) activeKeys() []bkey {
	s.mu.Lock()
	defer s.mu.Unlock()
	var keys []bkey
	now := time.Now()
	for k, st := range s.keys {
		if now.Sub(st.used) < activeWindow {
			keys = append(keys, k)
		}
	}
	return keys
}

// watchedKeys returns the buckets (and bucket lists) this node wrote to
// within TombstoneTTL, each with how often to revalidate it, and stops
// watching the older ones.
func (s *syncer) watchedKeys() map[bkey]time.Duration {
	cutoff := s.c.tombstoneCutoff()
	now := s.c.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[bkey]time.Duration, len(s.watch))
	for k, mark := range s.watch {
		if mark.Compare(cutoff) < 0 {
			delete(s.watch, k)
			continue
		}
		age := now.Sub(mark.Std())
		out[k] = min(max(age/verifyAgeRatio, s.cfg.VerifyInterval), max(s.cfg.VerifyInterval, maxVerifyInterval))
	}
	return out
}

// refreshIfDue starts a background revalidation of k if it was last
// checked more than age ago.
func (s *syncer) refreshIfDue(k bkey, age time.Duration) {
	s.mu.Lock()
	st := s.state(k)
	due := st.inflight == nil && time.Since(st.checked) >= age && s.ctx.Err() == nil
	if due {
		st.inflight = make(chan struct{})
		s.wg.Add(1)
		go s.fetch(k, st, st.inflight)
	}
	s.mu.Unlock()
}
