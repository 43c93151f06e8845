package catalog

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/d3s/d3s/catalog/internal/store"
	"github.com/d3s/d3s/dht/record"
)

// Strong mode (doc.go, "Strong mode"): records go through SyncConfig.Quorum
// instead of Records. Every member replaces its copy of a record only by
// one whose writer merged it (over), so a record a majority accepted stays
// contained in what those members hold, and a majority read finds it.
// A writer builds its next record from everything its last majority read
// (or refused swap) returned: the best record as the base, the others'
// entries added when the base's frontier does not cover them (extra).
const (
	// leaseTTL bounds how long a conditional write holds its key's lease.
	leaseTTL = 10 * time.Second
	// leaseWait bounds how long a conditional write waits for a lease
	// another node holds before it answers ErrConflict (409).
	leaseWait = 5 * time.Second
)

// strongSync is the syncer's strong-mode half.
type strongSync struct{ *syncer }

// strong reports whether k's records go through a Quorum.
func (s *syncer) strong() bool { return s.cfg.Quorum != nil }

// recordKey is the record key of k: its head, or the bucket list.
func recordKey(k bkey) string {
	if k.Bucket == "" {
		return record.BucketsKey(k.User)
	}
	return record.CatalogHeadKey(k.User, k.Bucket)
}

// strongRecords reads k's records from a majority; st.work is held.
func (s strongSync) strongRecords(ctx context.Context, k bkey, st *bstate) ([][]byte, error) {
	raws, err := s.cfg.Quorum.GetRecords(ctx, recordKey(k), st.over)
	if err != nil {
		return nil, fmt.Errorf("read %s of %s: %w", recordKind(k), k.User, err)
	}
	key := recordKey(k)
	for _, raw := range raws {
		if err := validator.Validate(key, raw); err != nil {
			return nil, fmt.Errorf("%s of %s from a member: %w", recordKind(k), k.User, err)
		}
	}
	return raws, nil
}

func recordKind(k bkey) string {
	if k.Bucket == "" {
		return "bucket list"
	}
	return "head of bucket " + k.Bucket
}

// best returns the index of the record Select prefers among raws.
func best(key string, raws [][]byte) int {
	i, err := validator.Select(key, raws)
	if err != nil {
		return 0
	}
	return i
}

// mergeStrong merges records a majority read or a refused swap returned
// into k's index (the best one last, as the base) and adds them to st.over,
// the records the next swap may replace; st.work is held.
func (s strongSync) mergeStrong(ctx context.Context, k bkey, st *bstate, raws [][]byte) error {
	var fresh [][]byte
	for _, raw := range raws {
		if !containsBytes(st.over, raw) {
			fresh = append(fresh, raw)
		}
	}
	if len(fresh) == 0 {
		return nil
	}
	all := keepRecent(append(slices.Clone(st.over), fresh...), best(recordKey(k), append(slices.Clone(st.over), fresh...)))
	defer func() { addOver(k, st) }()
	key := recordKey(k)
	top := all[best(key, all)]
	if k.Bucket == "" {
		for _, raw := range fresh {
			r, err := record.UnmarshalBucketListRecord(raw)
			if err != nil {
				return err
			}
			// A list is merged whole (per bucket name, the later change
			// wins), so every record merged is contained in the next one.
			if err := s.mergeListAny(ctx, k, raw, r, bytes.Equal(raw, top)); err != nil {
				return err
			}
		}
		st.over = all
		return nil
	}
	topHead, err := record.UnmarshalCatalogHead(top)
	if err != nil {
		return err
	}
	if containsBytes(fresh, top) {
		if err := s.mergeHead(ctx, k, top, topHead); err != nil {
			return fmt.Errorf("%w: %w", errNotMerged, err)
		}
	}
	// What the next head must add: every record it may replace that the
	// best one does not cover, recomputed against the best one (which may
	// have changed), so that no record in over is replaced by one that
	// lacks its entries.
	// The next head is built on the base (normally top; not when a base
	// merged earlier has a higher sequence than top, which mergeHead then
	// keeps): every other record must be covered by the base or added.
	baseRaw, err := s.st.LoadBase(k)
	if err != nil {
		return err
	}
	var baseHead record.CatalogHead
	if baseRaw != nil {
		if baseHead, err = record.UnmarshalCatalogHead(baseRaw); err != nil {
			baseRaw = nil
		}
	}
	extra := make(map[string]*Entry)
	var marks []record.FrontierMark
	for _, raw := range all {
		if baseRaw != nil && bytes.Equal(raw, baseRaw) {
			continue
		}
		h, err := record.UnmarshalCatalogHead(raw)
		if err != nil {
			return err
		}
		if baseRaw != nil && dominates(baseHead, h) {
			continue
		}
		err = s.otherEntries(ctx, k, h, func(es []*Entry) error {
			if err := s.st.ApplyRemote(ctx, k, es); err != nil {
				return err
			}
			for _, e := range es {
				if cur := extra[e.Key]; cur == nil || e.Newer(cur) {
					extra[e.Key] = e
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		marks = append(marks, h.Frontier...)
	}
	st.over, st.extra, st.extraFrontier = all, extra, marks
	return nil
}

// otherEntries hands fn the entries of a head that the next head, built
// on the manifest merged here, would lack: its recent entries and those
// of its snapshot's runs that manifest does not list (not older than
// that manifest's tombstone horizon: those were compacted away with the
// markers that shadowed them).
func (s strongSync) otherEntries(ctx context.Context, k bkey, h record.CatalogHead, fn func([]*Entry) error) error {
	if live, err := s.st.BucketLive(k); err != nil || !live {
		return err
	}
	s.st.Clock().Observe(fromHLC(h.Time))
	if err := fn(s.decodeEntries(k, h.Entries)); err != nil {
		return err
	}
	cur, err := s.st.LoadManifest(k)
	if err != nil || len(h.SnapshotID) == 0 || bytes.Equal(cur.ID, h.SnapshotID) {
		return err
	}
	_, fetched, err := s.newRuns(ctx, k, h.SnapshotID, h.Writer, cur, func(chunk []*Entry) error {
		kept := chunk[:0:0]
		for _, e := range chunk {
			if e.Time.Wall >= cur.M.Horizon {
				kept = append(kept, e)
			}
		}
		return fn(kept)
	})
	// Fetched copies are this node's to drop once no manifest lists them.
	err = errors.Join(err, s.st.AddGarbage(context.WithoutCancel(ctx), k, fetched))
	if err != nil {
		return fmt.Errorf("%w: %w", errNotMerged, err)
	}
	return nil
}

// dominates reports whether top's frontier covers every writer mark of h:
// then top holds every entry h does (or newer ones).
func dominates(top, h record.CatalogHead) bool {
	for _, m := range h.Frontier {
		if top.FrontierOf(m.Writer).Compare(m.Time) < 0 {
			return false
		}
	}
	return true
}

// addOver recomputes st.overSeq from st.over: a next record must be
// numbered above every record it may replace.
func addOver(k bkey, st *bstate) {
	for _, raw := range st.over {
		var seq uint64
		if k.Bucket == "" {
			r, err := record.UnmarshalBucketListRecord(raw)
			if err != nil {
				continue
			}
			seq = r.Seq
		} else {
			h, err := record.UnmarshalCatalogHead(raw)
			if err != nil {
				continue
			}
			seq = h.Seq
		}
		st.overSeq = max(st.overSeq, seq)
	}
}

// maxOver bounds the records a swap offers to replace. Members hold one
// record each, so the few learned last are what they hold; an older one
// a member still holds comes back with its refusal. Offering fewer is
// always safe (every record offered is merged into the next one).
const maxOver = 32

// keepRecent returns the last maxOver records of over (the latest
// learned), and the one at index top.
func keepRecent(over [][]byte, top int) [][]byte {
	if len(over) <= maxOver {
		return over
	}
	kept := slices.Clone(over[len(over)-maxOver+1:])
	if !containsBytes(kept, over[top]) {
		return append(kept, over[top])
	}
	return append(kept, over[len(over)-maxOver])
}

func containsBytes(set [][]byte, b []byte) bool {
	return slices.ContainsFunc(set, func(x []byte) bool { return bytes.Equal(x, b) })
}

// pullStrong merges k's records as a majority holds them now; st.work is
// held.
func (s strongSync) pullStrong(ctx context.Context, k bkey, st *bstate) error {
	_, err := s.pullStrongN(ctx, k, st)
	return err
}

// pullStrongN is pullStrong, also returning how many distinct records the
// majority held.
func (s strongSync) pullStrongN(ctx context.Context, k bkey, st *bstate) (int, error) {
	raws, err := s.strongRecords(ctx, k, st)
	s.noteQuorum(k, err)
	if err != nil {
		s.noteMerge(k, err)
		return 0, err
	}
	if len(raws) == 0 {
		// No member of a majority holds a record: none was ever
		// acknowledged.
		s.noteMerge(k, nil)
		return 0, nil
	}
	err = s.mergeStrong(ctx, k, st, raws)
	s.noteMerge(k, err)
	if err == nil && len(st.extra) > 0 {
		// Members hold records none of which contains the others: a
		// writer lost a race after some members took its record. The
		// next head joins them.
		s.kick(k)
	}
	return len(raws), err
}

// readAttempts bounds the majority reads (each with its write-back) of
// one strong read that keeps racing writers.
const readAttempts = 4

// readStrong merges k as a majority holds it and, when the majority did
// not hold one record, writes back what it merged (the best record, or a
// new one joining them) before returning, as ABD registers do: a read
// may have seen a write still in flight, and no later read may miss what
// an earlier one saw.
func (s strongSync) readStrong(ctx context.Context, k bkey, st *bstate) error {
	st.work.Lock()
	defer st.work.Unlock()
	var err error
	for range readAttempts {
		var n int
		if n, err = s.pullStrongN(ctx, k, st); err != nil {
			break
		}
		// This node's own writes not yet on a majority (in flight, or
		// refused with a 503 and still in the outbox) are in its index:
		// they take effect now, before a read here shows them, or no
		// later read elsewhere could be sure to see them.
		pending, perr := s.outboxFor(k)
		if perr != nil {
			return perr
		}
		if n <= 1 && len(pending) == 0 {
			return nil
		}
		if len(pending) > 0 {
			_, _, err = s.publishStrong(ctx, k, st)
		} else {
			err = s.writeBack(ctx, k, st)
		}
		if err == nil || !errors.Is(err, ErrLostRace) {
			break
		}
	}
	if err != nil && !errors.Is(err, ErrUnavailable) {
		err = fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return err
}

// writeBack makes what this node merged of k the record of a majority:
// the best record when it holds every other (no extra), else a new one.
func (s strongSync) writeBack(ctx context.Context, k bkey, st *bstate) error {
	if k.Bucket == "" {
		pending, err := s.outboxFor(k)
		if err == nil {
			_, err = s.putListStrong(ctx, k, st, pending)
		}
		return err
	}
	if len(st.extra) == 0 && len(st.over) > 0 {
		top := st.over[best(recordKey(k), st.over)]
		return s.swap(ctx, k, st, top)
	}
	_, _, err := s.publishStrong(ctx, k, st)
	return err
}

// swap offers raw to the members in place of st.over. On success raw is
// the base and the only record known current; a refusal merges what the
// refusers hold and returns ErrLostRace.
func (s strongSync) swap(ctx context.Context, k bkey, st *bstate, raw []byte) error {
	over := append(slices.Clone(st.over), nil)
	current, err := s.cfg.Quorum.SwapRecord(ctx, recordKey(k), raw, over)
	s.noteQuorum(k, err)
	if err != nil {
		// Some members may have taken raw: the next record contains it
		// (the same base or a later one, the outbox entries still
		// pending, the same extra), so it may replace it.
		if !containsBytes(st.over, raw) {
			over := append(st.over, raw)
			st.over = keepRecent(over, best(recordKey(k), over))
			addOver(k, st)
		}
		if len(current) > 0 {
			if mErr := s.mergeStrong(ctx, k, st, current); mErr != nil {
				err = errors.Join(err, mErr)
			}
		}
		return fmt.Errorf("%s of %s: %w", recordKind(k), k.User, err)
	}
	st.over, st.extra, st.extraFrontier = [][]byte{raw}, nil, nil
	return s.st.StoreBase(ctx, k, raw)
}

// confirmStrong drops from the outbox the entries a head a majority
// accepted carries: nobody can displace it (every later record contains
// it), so there is no Settle wait.
func (s strongSync) confirmStrong(ctx context.Context, k bkey, pending []*Entry) error {
	if err := s.st.Outbox().Confirm(ctx, k, pending); err != nil {
		return err
	}
	if err := s.raiseMarkTo(ctx, k, s.settledMark(k, byKey(pending))); err != nil {
		return err
	}
	s.notify()
	return nil
}

// publishStrong is one publish attempt of k in strong mode: no read
// first (the swap is refused if the members moved on, and the refusal
// carries what they hold).
func (s strongSync) publishStrong(ctx context.Context, k bkey, st *bstate) (done bool, again time.Duration, err error) {
	n := s.startBuild(st) // before the outbox is read
	defer func() { s.endBuild(st, n, err) }()
	pending, err := s.outboxFor(k)
	if err != nil {
		return false, 0, err
	}
	if len(pending) == 0 && len(st.extra) == 0 {
		return true, 0, nil
	}
	if k.Bucket == "" {
		done, err := s.putListStrong(ctx, k, st, pending)
		return done, 0, err
	}
	rec, found, err := s.st.BucketRec(k)
	if err != nil {
		return false, 0, err
	}
	if !found || !rec.Live() {
		done, err := s.publishEntries(ctx, k, st, pending, time.Now())
		return done, 0, err
	}
	head, snap, err := s.nextHead(ctx, k, rec, pending)
	if err == nil {
		err = s.putHeadStrong(ctx, k, st, head, snap, pending)
	}
	if err != nil {
		err = errors.Join(err, s.st.AddGarbage(context.WithoutCancel(ctx), k, snap.written))
	}
	return false, 0, err
}

// startBuild numbers a record about to be built from the outbox.
func (s strongSync) startBuild(st *bstate) uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	st.built++
	return st.built
}

// endBuild records that build n was accepted (err nil) and wakes the
// AwaitPublished callers.
func (s strongSync) endBuild(st *bstate, n uint64, err error) {
	if err != nil {
		return
	}
	s.mu.Lock()
	st.swapped = max(st.swapped, n)
	s.mu.Unlock()
	s.notify()
}

// notSwappedSince reports whether k's writes made before build number
// built started may still be off a majority: the outbox holds entries
// and no record built later was accepted.
func (s *syncer) notSwappedSince(k bkey, built uint64) (bool, error) {
	s.mu.Lock()
	done := s.state(k).swapped > built
	s.mu.Unlock()
	if done {
		return false, nil
	}
	pending, err := s.outboxFor(k)
	return len(pending) > 0, err
}

// putHeadStrong signs head and swaps it in.
func (s strongSync) putHeadStrong(ctx context.Context, k bkey, st *bstate, head record.CatalogHead, snap builtSnapshot, pending []*Entry) error {
	priv, err := s.userKey(ctx, k.User)
	if err != nil {
		return err
	}
	head.Sign(priv)
	raw := head.Marshal()
	if err := s.swap(ctx, k, st, raw); err != nil {
		return err
	}
	if snap.id != nil {
		if err := s.st.SetManifest(ctx, k, store.StoredManifest{ID: snap.id, Data: snap.data, M: snap.m}); err != nil {
			return err
		}
	}
	return s.confirmStrong(ctx, k, pending)
}

// putListStrong signs the next bucket list (the whole local list, which
// every list merged here is part of) and swaps it in.
func (s strongSync) putListStrong(ctx context.Context, k bkey, st *bstate, pending []*Entry) (bool, error) {
	rec, err := s.st.NextList(k)
	if err != nil {
		return false, err
	}
	priv, err := s.userKey(ctx, k.User)
	if err != nil {
		return false, err
	}
	rec.Seq = max(rec.Seq, st.overSeq+1)
	rec.Sign(priv)
	if err := s.swap(ctx, k, st, rec.Marshal()); err != nil {
		return false, err
	}
	return false, s.confirmStrong(ctx, k, pending)
}

// refreshStrong merges k as a majority holds it at some point after the
// call: it joins a read that started after the call, or waits for the one
// running and starts (or joins) the next.
func (s strongSync) refreshStrong(ctx context.Context, k bkey) error {
	called := time.Now()
	for {
		s.mu.Lock()
		st := s.state(k)
		st.used = time.Now()
		r := st.strongRead
		if r == nil || (r.started.Before(called) && r.finished()) {
			r = &strongRead{started: time.Now(), done: make(chan struct{})}
			st.strongRead = r
			s.wg.Add(1)
			go s.runStrongRead(k, st, r)
		}
		s.mu.Unlock()
		select {
		case <-r.done:
		case <-ctx.Done():
			return ctx.Err()
		}
		if !r.started.Before(called) {
			return r.err
		}
	}
}

// strongRead is one majority read of a key, shared by the reads that
// began before it started.
type strongRead struct {
	started time.Time
	done    chan struct{}
	err     error
}

func (r *strongRead) finished() bool {
	select {
	case <-r.done:
		return true
	default:
		return false
	}
}

func (s strongSync) runStrongRead(k bkey, st *bstate, r *strongRead) {
	defer s.wg.Done()
	ctx, cancel := context.WithTimeout(s.ctx, fetchTimeout)
	defer cancel()
	if k.Bucket != "" {
		// The bucket list first: a bucket deleted on another node is gone
		// here too.
		lk := bkey{User: k.User}
		r.err = s.readStrong(ctx, lk, s.stateOf(lk))
	}
	if r.err == nil {
		r.err = s.readStrong(ctx, k, st)
	}
	s.mu.Lock()
	st.checked = time.Now()
	s.mu.Unlock()
	close(r.done)
}

// Exclusive takes the network-wide lease on key of user's bucket for a
// conditional write, so that two nodes never check and write it at once:
// the caller checks the condition after a strong Refresh and releases
// the lease once its write is acknowledged. It waits up to leaseWait for
// a lease another node holds, then returns ErrConflict; without a
// majority, an error wrapping ErrNoQuorum. On an eventual or local
// catalogue it returns a no-op release.
func (c *Catalog) Exclusive(ctx context.Context, user, bucket, key string) (func(), error) {
	s := c.sync.Load()
	if s == nil || !s.strong() {
		return func() {}, nil
	}
	name := "cond/" + user + "/" + bucket + "/" + key
	deadline := time.Now().Add(leaseWait)
	for {
		release, err := s.cfg.Quorum.Lease(ctx, name, leaseTTL)
		if err == nil {
			return release, nil
		}
		// Held by another, or no majority granted (members just started,
		// or racers split the grants): try again until the deadline.
		if !(errors.Is(err, ErrLeaseHeld) || errors.Is(err, ErrNoQuorum)) || time.Now().After(deadline) {
			if errors.Is(err, ErrLeaseHeld) {
				return nil, fmt.Errorf("%s/%s: a conditional write on another node holds the key: %w", bucket, key, ErrConflict)
			}
			return nil, err
		}
		t := time.NewTimer(time.Duration(10+rand.IntN(90)) * time.Millisecond)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		}
	}
}

// noteQuorum records, for status, whether k's last strong operation
// reached a majority.
func (s strongSync) noteQuorum(k bkey, err error) {
	s.mu.Lock()
	s.state(k).noQuorum = errors.Is(err, ErrNoQuorum)
	s.mu.Unlock()
}

// NoQuorum lists the buckets ("user/bucket", "user/" for a bucket list)
// whose last strong read or write found no majority of the members.
func (c *Catalog) NoQuorum() []string {
	s := c.sync.Load()
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for k, st := range s.keys {
		if st.noQuorum {
			out = append(out, k.User+"/"+k.Bucket)
		}
	}
	slices.Sort(out)
	return out
}

// Strong reports whether the catalogue runs in strong mode.
func (c *Catalog) Strong() bool {
	s := c.sync.Load()
	return s != nil && s.strong()
}
