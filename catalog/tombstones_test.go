package catalog

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/d3s/d3s/catalog/internal/snapshot"
	"github.com/d3s/d3s/catalog/internal/store"
)

// skewClock is a physical clock that a test moves forward, so delete
// markers age past a TombstoneTTL without waiting. It stays within
// record.MaxClockSkew of the real clock, so its heads still validate.
type skewClock struct{ skew atomic.Int64 }

func (c *skewClock) now() time.Time          { return time.Now().Add(time.Duration(c.skew.Load())) }
func (c *skewClock) advance(d time.Duration) { c.skew.Add(int64(d)) }

// countIndex returns how many entries, delete markers included, c's index
// holds for bucket.
func countIndex(t testing.TB, c *Catalog, user, bucket string) int {
	t.Helper()
	n := 0
	if err := c.store.ScanEntries(bkey{User: user, Bucket: bucket}, func(*Entry) { n++ }); err != nil {
		t.Fatal(err)
	}
	return n
}

// runEntries returns the entries of the runs of m, oldest run first.
func runEntries(t testing.TB, n *testNet, m snapshot.Manifest) []*Entry {
	t.Helper()
	var out []*Entry
	for _, r := range m.Runs {
		data, err := n.blobs.GetBlob(t.Context(), r.ID, "")
		if err != nil {
			t.Fatal(err)
		}
		err = snapshot.DecodeRun(r.ID, data, store.TxnChunk, func(es []*Entry) error {
			for _, e := range es {
				out = append(out, e)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// TestCompactionDropsMarkersOnlyWithWhatTheyShadow cuts runs directly: a
// compaction of the newest runs keeps an expired marker, since an older
// run it does not merge still holds the version the marker deletes; a
// full compaction, due once enough markers expired, drops the markers
// and the versions they shadow together and records the horizon.
func TestCompactionDropsMarkersOnlyWithWhatTheyShadow(t *testing.T) {
	n := newNet(t)
	a := n.node(t, "node-a")
	s := a.sync.Load()
	k := bkey{User: n.user, Bucket: "b"}
	now := time.Now()
	old, expired, fresh := now.Add(-10*DefaultTombstoneTTL/7).UnixNano(), now.Add(-8*DefaultTombstoneTTL/7).UnixNano(), now.UnixNano()
	store := func(entries ...*Entry) snapshot.RunRef {
		data, ref := testRun(t, entries...)
		if _, err := n.blobs.PutBlob(t.Context(), data); err != nil {
			t.Fatal(err)
		}
		return ref
	}
	series := func(prefix string, count int, wall int64, marker bool) []*Entry {
		var out []*Entry
		for i := range count {
			out = append(out, entryAt(fmt.Sprintf("%s%03d", prefix, i), wall, "n", marker))
		}
		return out
	}
	encode := func(entries []*Entry) [][]byte {
		var out [][]byte
		for _, e := range entries {
			raw, err := e.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, raw)
		}
		return out
	}
	oldRun := store(series("k", 100, old, false)...)

	// One expired marker among 108 entries: no GC due; the tiers merge
	// the two newest runs only, so the marker must stay.
	second := store(append([]*Entry{entryAt("k005", expired, "n", true)}, series("m", 7, expired, false)...)...)
	snap, err := s.cutRun(t.Context(), k, snapshot.Manifest{Runs: []snapshot.RunRef{oldRun, second}}, encode(series("n", 5, fresh, false)), Time{}, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.m.Runs) != 2 || snap.m.Horizon != 0 {
		t.Fatalf("partial compaction: %d runs, horizon %d", len(snap.m.Runs), snap.m.Horizon)
	}
	if es := runEntries(t, n, snapshot.Manifest{Runs: snap.m.Runs[1:]}); len(es) != 13 || es[0].Key != "k005" || !es[0].DeleteMarker {
		t.Fatalf("merged run lost the marker shadowing the older run: %d entries, first %+v", len(es), es[0])
	}

	// 40 expired markers among 140 entries: a full compaction drops
	// them with the 40 versions of the old run they delete.
	markers := store(series("k", 40, expired, true)...)
	snap, err = s.cutRun(t.Context(), k, snapshot.Manifest{Runs: []snapshot.RunRef{oldRun, markers}}, encode(series("n", 5, fresh, false)), Time{}, "")
	if err != nil {
		t.Fatal(err)
	}
	es := runEntries(t, n, snap.m)
	if len(snap.m.Runs) != 1 || len(es) != 65 || es[0].Key != "k040" || snap.m.Runs[0].Deletes != 0 {
		t.Fatalf("full compaction: %d runs, %d entries from %q", len(snap.m.Runs), len(es), es[0].Key)
	}
	if cutoff := now.Add(-DefaultTombstoneTTL).UnixNano(); snap.m.Horizon < cutoff || snap.m.Horizon < expired {
		t.Fatalf("horizon %d, want the cutoff %d", snap.m.Horizon, cutoff)
	}
}

// TestTombstoneGC deletes most keys of a bucket, lets the markers expire
// (a writer whose clock runs ahead past a one-minute TTL) and writes one
// key: the snapshot sheds the markers, the writer's and an online
// reader's indexes drop them, a reader that was offline throughout drops
// the versions they deleted, and no deleted key comes back anywhere.
func TestTombstoneGC(t *testing.T) {
	const keys, deleted = 400, 360
	n := newNet(t)
	ctx := t.Context()
	var clock skewClock
	cfg := n.syncConfig("node-a")
	cfg.MaxRecent = 64
	a := n.startWith(t, Config{DB: openDB(t, t.TempDir()), NodeID: "node-a", Now: clock.now, TombstoneTTL: time.Minute}, cfg)
	b := n.node(t, "node-b")
	sharedBucket(t, n, "tomb", a, b)
	putN(t, a, n.user, "tomb", "k", keys)
	flush(t, a)

	// d reads the bucket, then goes away until after the GC.
	dDB := openDB(t, t.TempDir())
	d1, err := New(Config{DB: dDB, NodeID: "node-d"})
	if err != nil {
		t.Fatal(err)
	}
	dctx, dstop := context.WithCancel(ctx)
	if err := d1.StartSync(dctx, n.syncConfig("node-d")); err != nil {
		t.Fatal(err)
	}
	seesKeys(t, d1, n.user, "tomb", keys)
	dstop()
	d1.Wait()

	for i := range keys {
		if i%10 != 0 {
			if _, err := a.Delete(ctx, n.user, "tomb", fmt.Sprintf("k%04d", i)); err != nil {
				t.Fatal(err)
			}
		}
	}
	flush(t, a)
	seesKeys(t, b, n.user, "tomb", keys-deleted)
	before, _ := currentSnapshot(t, n, "tomb")
	if countIndex(t, b, n.user, "tomb") != keys {
		t.Fatalf("b's index holds %d entries before the GC, want %d with markers", countIndex(t, b, n.user, "tomb"), keys)
	}

	clock.advance(2 * time.Minute)
	putN(t, a, n.user, "tomb", "late", 1)
	flush(t, a)
	after, _ := currentSnapshot(t, n, "tomb")
	t.Logf("snapshot of %d keys, %d deleted: %d bytes before GC, %d after", keys, deleted, before.Size(), after.Size())
	if after.Horizon == 0 || after.Size()*3 > before.Size() {
		t.Fatalf("snapshot after GC: %d bytes (before %d), horizon %d", after.Size(), before.Size(), after.Horizon)
	}
	for _, e := range runEntries(t, n, after) {
		if e.DeleteMarker {
			t.Fatalf("marker of %s left in the snapshot", e.Key)
		}
	}

	var gone atomic.Int64
	dcfg := n.syncConfig("node-d")
	dcfg.OnReplaced = func(*Entry) { gone.Add(1) }
	d := n.start(t, dDB, dcfg)
	live := keys - deleted + 1
	for name, c := range map[string]*Catalog{"a": a, "b": b, "d": d, "c": n.node(t, "node-c")} {
		seesKeys(t, c, n.user, "tomb", live)
		eventually(t, name+" drops the markers", func() error {
			if err := c.Refresh(ctx, n.user, "tomb"); err != nil {
				return err
			}
			if got := countIndex(t, c, n.user, "tomb"); got != live {
				return fmt.Errorf("%d entries in the index, want %d", got, live)
			}
			return nil
		})
		for _, key := range []string{"k0001", "k0399", "k0010"} {
			e, err := c.Get(ctx, n.user, "tomb", key)
			if key == "k0010" {
				if err != nil || e.Size != 10 {
					t.Fatalf("%s: live key %s = %+v, %v", name, key, e, err)
				}
			} else if !errors.Is(err, ErrNotFound) {
				t.Fatalf("%s: deleted key %s: %v", name, key, err)
			}
		}
	}
	if gone.Load() != deleted {
		t.Fatalf("d reported %d versions removed, want %d", gone.Load(), deleted)
	}
	// More writes compact again; the deleted keys stay deleted.
	putN(t, a, n.user, "tomb", "more", 100)
	flush(t, a)
	seesKeys(t, n.node(t, "node-e"), n.user, "tomb", live+100)
}

// testRun encodes entries (in key order) as a run blob.
func testRun(t *testing.T, entries ...*Entry) ([]byte, snapshot.RunRef) {
	t.Helper()
	var w snapshot.RunWriter
	for _, e := range entries {
		raw, err := e.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		w.Add(raw, e)
	}
	return w.Finish()
}

func entryAt(key string, wall int64, writer string, marker bool) *Entry {
	return &Entry{Key: key, ETag: fmt.Sprintf("%s@%d", key, wall), Time: Time{Wall: wall}, Writer: writer, DeleteMarker: marker}
}
