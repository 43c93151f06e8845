package swarm

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// repairCtx bounds one repair or fetch in these tests.
func repairCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// refs returns the reference count of a stored object.
func refs(t *testing.T, s *testSwarm, id ID) int64 {
	t.Helper()
	rec, err := s.record(id)
	if err != nil {
		t.Fatalf("record %s: %v", id, err)
	}
	return rec.refs
}

// TestRepairFile damages a seeding file object, repairs it from a second
// swarm and checks the bytes, the references, that a reader of the old
// file keeps reading it, and that the repaired copy is seeded again and
// serves a third swarm.
func TestRepairFile(t *testing.T) {
	a, b, c := newCorruptSwarm(t, 0), newSwarm(t), newSwarm(t)
	data := randBytes(20, 6<<20+99)
	id, mi := seeded(t, a.testSwarm, data)
	seeded(t, b, data)
	mustPut(t, a.testSwarm, data) // a second reference
	flip := int64(4<<20 + 10)
	flipFile(t, a.testSwarm, id, flip)
	old, err := a.Open(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	if err := a.Scrub(t.Context(), id); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Scrub: %v, want ErrCorrupt", err)
	}

	if err := a.Repair(repairCtx(t), id, []string{b.Self()}); err != nil {
		t.Fatalf("Repair: %v", err)
	}
	if got := readAll(t, a.testSwarm, id); !bytes.Equal(got, data) {
		t.Fatal("repaired bytes differ")
	}
	if err := a.Scrub(t.Context(), id); err != nil {
		t.Fatalf("Scrub after Repair: %v", err)
	}
	if n := refs(t, a.testSwarm, id); n != 2 {
		t.Fatalf("%d references after Repair, want 2", n)
	}
	// The reader opened before keeps the old file: the bytes before the
	// damage, then the damage.
	got, err := readUntilError(old, 64<<10)
	st, _ := a.Stat(t.Context(), id)
	wantCorrupt(t, err, id, flip/st.PieceLength)
	if !bytes.Equal(got, data[:len(got)]) {
		t.Fatal("old reader returned wrong bytes")
	}
	if files := a.dataFiles(t); len(files) != 1 {
		t.Fatalf("data files after Repair: %v, want only the object", files)
	}
	if !a.Seeding(id) {
		t.Fatal("repaired object not seeded again")
	}
	if _, err := c.Fetch(repairCtx(t), id, mi, []string{a.Self()}); err != nil {
		t.Fatalf("Fetch from the repaired swarm: %v", err)
	}
	if got := readAll(t, c, id); !bytes.Equal(got, data) {
		t.Fatal("bytes fetched from the repaired swarm differ")
	}
}

// TestRepairConcat repairs a Concat object whose part is damaged: it
// becomes a file object holding the same references, its parts lose the
// references it held, and releasing them no longer affects it.
func TestRepairConcat(t *testing.T) {
	a, b := newCorruptSwarm(t, 0), newSwarm(t)
	p1, p2 := randBytes(21, 1<<20+5), randBytes(22, 2<<20)
	concat := func(s *testSwarm) (ID, ID, ID) {
		x, y := mustPut(t, s, p1), mustPut(t, s, p2)
		obj, err := s.Concat(t.Context(), []ID{x.ID, y.ID})
		if err != nil {
			t.Fatal(err)
		}
		return x.ID, y.ID, obj.ID
	}
	x, y, id := concat(a.testSwarm)
	if _, _, id2 := concat(b); id2 != id {
		t.Fatal("same parts, different Concat IDs")
	}
	if err := b.Seed(t.Context(), id); err != nil {
		t.Fatal(err)
	}
	flipFile(t, a.testSwarm, y, 100)
	if err := a.Scrub(t.Context(), id); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Scrub: %v, want ErrCorrupt", err)
	}

	if err := a.Repair(repairCtx(t), id, []string{b.Self()}); err != nil {
		t.Fatalf("Repair: %v", err)
	}
	rec, err := a.record(id)
	if err != nil {
		t.Fatal(err)
	}
	if rec.kind != kindFile || len(rec.parts) != 0 || rec.refs != 1 {
		t.Fatalf("record after Repair: kind %d, %d parts, %d refs; want a file with 1 ref", rec.kind, len(rec.parts), rec.refs)
	}
	if refs(t, a.testSwarm, x) != 1 || refs(t, a.testSwarm, y) != 1 {
		t.Fatalf("parts hold %d and %d references, want 1 each (their Puts')", refs(t, a.testSwarm, x), refs(t, a.testSwarm, y))
	}
	for _, p := range []ID{x, y} {
		if err := a.Release(t.Context(), p); err != nil {
			t.Fatal(err)
		}
	}
	want := append(bytes.Clone(p1), p2...)
	if got := readAll(t, a.testSwarm, id); !bytes.Equal(got, want) {
		t.Fatal("repaired Concat bytes differ")
	}
	if err := a.Release(t.Context(), id); err != nil {
		t.Fatal(err)
	}
	if files := a.dataFiles(t); len(files) != 0 {
		t.Fatalf("files left after releasing everything: %v", files)
	}
}

// TestRepairInline repairs a damaged inline object.
func TestRepairInline(t *testing.T) {
	a, b := newCorruptSwarm(t, 0), newSwarm(t)
	data := randBytes(23, 5000)
	id, _ := seeded(t, a.testSwarm, data)
	seeded(t, b, data)
	damageInline(t, a.testSwarm, id, 4000)
	if _, err := a.Open(t.Context(), id); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Open: %v, want ErrCorrupt", err)
	}
	if err := a.Repair(repairCtx(t), id, []string{b.Self()}); err != nil {
		t.Fatalf("Repair: %v", err)
	}
	if got := readAll(t, a.testSwarm, id); !bytes.Equal(got, data) {
		t.Fatal("repaired bytes differ")
	}
	if n := refs(t, a.testSwarm, id); n != 1 {
		t.Fatalf("%d references after Repair, want 1", n)
	}
}

// TestRepairConcurrentShareDownload runs three Repair calls at once: all
// succeed on one download. The good peer seeds only once two joined it
// (their dials to it failed); the third brings it back to the download.
func TestRepairConcurrentShareDownload(t *testing.T) {
	a, b := newCorruptSwarm(t, 0), newSwarm(t)
	data := randBytes(24, 8<<20)
	id, _ := seeded(t, a.testSwarm, data)
	mustPut(t, b, data)
	flipFile(t, a.testSwarm, id, 5)
	var downloads atomic.Int32
	a.eng.fetchedFrom = func(ID, map[string]int64) { downloads.Add(1) }
	var wg sync.WaitGroup
	errs := make([]error, 3)
	repair := func(i int) { errs[i] = a.Repair(repairCtx(t), id, []string{b.Self()}) }
	wg.Go(func() { repair(0) })
	wg.Go(func() { repair(1) })
	deadline := time.Now().Add(10 * time.Second)
	for a.eng.users(id) < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("the repairs never joined one download (%d users)", a.eng.users(id))
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := b.Seed(t.Context(), id); err != nil {
		t.Fatal(err)
	}
	wg.Go(func() { repair(2) })
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Repair %d: %v", i, err)
		}
	}
	if n := downloads.Load(); n != 1 {
		t.Fatalf("%d downloads, want 1 shared", n)
	}
	if got := readAll(t, a.testSwarm, id); !bytes.Equal(got, data) {
		t.Fatal("repaired bytes differ")
	}
}

// users returns how many callers share id's download.
func (e *engine) users(id ID) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	if p := e.fetches[id]; p != nil {
		return p.users
	}
	return 0
}

// TestRepairErrors: an unknown object, and a repair with no peer that
// gives up with its context, leaving the damaged object as it was.
func TestRepairErrors(t *testing.T) {
	a := newCorruptSwarm(t, 0)
	if err := a.Repair(t.Context(), ID{9}, nil); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Repair unknown: %v, want ErrNotFound", err)
	}
	data := randBytes(25, 1<<20)
	obj := mustPut(t, a.testSwarm, data)
	flipFile(t, a.testSwarm, obj.ID, 0)
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	if err := a.Repair(ctx, obj.ID, nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Repair with no peer: %v, want context.DeadlineExceeded", err)
	}
	if files := a.dataFiles(t); len(files) != 1 {
		t.Fatalf("data files after a failed Repair: %v", files)
	}
	if err := a.Scrub(t.Context(), obj.ID); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Scrub after a failed Repair: %v, want ErrCorrupt", err)
	}
}

// TestFetchFromDamagedPeer fetches from a peer whose copy has a damaged
// piece: it never sends that piece (the downloader sees no piece fail its
// hash), so alone it cannot complete the download; with a good peer
// beside it the download completes.
func TestFetchFromDamagedPeer(t *testing.T) {
	bad, good, c := newCorruptSwarm(t, 0), newSwarm(t), newSwarm(t)
	data := randBytes(26, 4<<20)
	id, mi := seeded(t, bad.testSwarm, data)
	seeded(t, good, data)
	flipFile(t, bad.testSwarm, id, 3<<20)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
	defer cancel()
	if _, err := c.Fetch(ctx, id, mi, []string{bad.Self()}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Fetch from the damaged peer alone: %v, want context.DeadlineExceeded", err)
	}
	if n := bad.reported(id); n != 1 {
		t.Fatalf("the damaged peer reported its damage %d times, want once (hashed once per load)", n)
	}
	if _, err := c.Fetch(repairCtx(t), id, mi, []string{bad.Self(), good.Self()}); err != nil {
		t.Fatalf("Fetch with a good peer too: %v", err)
	}
	if got := readAll(t, c, id); !bytes.Equal(got, data) {
		t.Fatal("fetched bytes differ")
	}
	stats := c.eng.cl.Stats()
	if n := stats.PiecesDirtiedBad.Int64(); n != 0 {
		t.Fatalf("%d pieces received failed their hash: a damaged piece was served", n)
	}
}
