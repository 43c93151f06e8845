package catalog

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Availability (doc.go, "Never a silent wrong answer"): a bucket's cache
// is served only while it holds the newest head this node has seen, or,
// for a bucket never merged here, once a revalidation has ended well.
const (
	// firstMergeWait bounds how long a read of a bucket this node has
	// never merged waits for its first revalidation before it fails with
	// ErrUnavailable (instead of the cache, which knows nothing).
	firstMergeWait = 5 * time.Second
	// unavailableLogEvery rate-limits the WARN logged per bucket when a
	// read is refused.
	unavailableLogEvery = 30 * time.Second
)

// errNotMerged marks a pull that found a head it could not merge (its
// snapshot blobs could not be fetched, or did not decode).
var errNotMerged = errors.New("head not merged")

// noteMerge records what a pull of bucket k ended in: merged (err nil:
// the newest head, or the absence of one, is in the index), behind (a head
// found but not merged), or neither (the network did not answer: what
// was known stays known).
func (s *syncer) noteMerge(k bkey, err error) {
	if k.Bucket == "" {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.state(k)
	switch {
	case err == nil:
		st.settled, st.behind, st.cause = true, false, nil
	case errors.Is(err, errNotMerged):
		st.behind, st.cause = true, err
	case !st.settled:
		st.cause = err
	}
}

// settled reports whether bucket k's cache may be served while the
// network is slow: a head was merged for it (now or in an earlier run),
// or it holds this node's own writes (published or not).
func (s *syncer) settled(k bkey) bool {
	s.mu.Lock()
	st := s.state(k)
	ok, behind := st.settled, st.behind
	_, watched := s.watch[k]
	s.mu.Unlock()
	if behind {
		return false
	}
	if ok || watched {
		return true
	}
	base, err := s.st.LoadBase(k)
	if err == nil && base == nil {
		var empty bool
		empty, err = s.st.Outbox().Empty(k)
		ok = err == nil && !empty
	} else {
		ok = err == nil
	}
	if ok {
		s.mu.Lock()
		st.settled = true
		s.mu.Unlock()
	}
	return ok
}

// available returns nil when bucket k's cache may be served, else an
// error wrapping ErrUnavailable (logged at WARN, at most once per
// unavailableLogEvery per bucket).
func (s *syncer) available(k bkey) error {
	if k.Bucket == "" || s.settled(k) {
		return nil
	}
	s.mu.Lock()
	st := s.state(k)
	cause := st.cause
	logNow := time.Since(st.warned) >= unavailableLogEvery
	if logNow {
		st.warned = time.Now()
	}
	s.mu.Unlock()
	if cause == nil {
		cause = errors.New("first revalidation still running")
	}
	if logNow {
		s.log.Warn("bucket index unavailable: reads answer 503", "user", k.User, "bucket", k.Bucket, "err", cause)
	}
	return fmt.Errorf("%w: %s/%s: %w", ErrUnavailable, k.User, k.Bucket, cause)
}

// awaitRefresh waits for done (a running revalidation of k) as long as a
// read should: RefreshWait when k's cache may be served, up to
// firstMergeWait when it may not yet.
func (s *syncer) awaitRefresh(ctx context.Context, k bkey, done <-chan struct{}) {
	wait := s.cfg.RefreshWait
	if k.Bucket != "" && !s.settled(k) {
		wait = max(wait, firstMergeWait)
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		s.log.Debug("refresh slow, serving cache", "user", k.User, "bucket", k.Bucket)
	case <-ctx.Done():
	}
}
