package catalog

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/d3s/d3s/catalog/internal/store"
)

// BenchmarkListObjects100k lists a 100 000-key bucket from the local
// cache, as ListObjectsV2 does page after page.
func BenchmarkListObjects100k(b *testing.B) {
	const n = 100_000
	db := openDB(b, b.TempDir())
	c := newCatalog(b, db)
	if err := c.CreateBucket(b.Context(), "u", "b"); err != nil {
		b.Fatal(err)
	}
	wb := db.NewWriteBatch()
	for i := range n {
		e := &Entry{Key: fmt.Sprintf("photos/2026/%08d.jpg", i), Size: int64(i), ETag: "0123456789abcdef0123456789abcdef"}
		c.store.Stamp(e)
		val, _ := e.MarshalBinary()
		if err := wb.Set(store.ObjectKey("u", "b", e.Key), val); err != nil {
			b.Fatal(err)
		}
	}
	if err := wb.Flush(); err != nil {
		b.Fatal(err)
	}
	listed := 0
	for b.Loop() {
		it, err := c.Objects(b.Context(), "u", "b", "")
		if err != nil {
			b.Fatal(err)
		}
		for it.Next() {
			listed++
		}
		if err := it.Err(); err != nil {
			b.Fatal(err)
		}
		it.Close()
	}
	if listed%n != 0 {
		b.Fatalf("listed %d keys, not a multiple of %d", listed, n)
	}
	b.ReportMetric(float64(listed)/b.Elapsed().Seconds(), "keys/s")
}

// TestHeadSizeAsBucketGrows publishes a growing bucket and checks that the
// head record stays bounded (its size is logged for BENCHMARKS.md).
func TestHeadSizeAsBucketGrows(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 3000 keys")
	}
	n := newNet(t)
	a := n.node(t, "node-a")
	if err := a.CreateBucket(t.Context(), n.user, "grow"); err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, step := range []int{100, 400, 500, 2000} {
		putN(t, a, n.user, "grow", fmt.Sprintf("s%05d/", total), step)
		total += step
		flush(t, a)
		h := n.recs.head(t, n.user, "grow")
		t.Logf("bucket of %5d keys: head %6d bytes, %3d recent entries, snapshot %t", total, h.Size(), len(h.Entries), len(h.SnapshotID) > 0)
		if h.Size() > maxHeadBytes || len(h.Entries) > DefaultMaxRecent {
			t.Fatalf("head of %d bytes with %d entries", h.Size(), len(h.Entries))
		}
	}
	seesKeys(t, n.node(t, "node-b"), n.user, "grow", total)
}

// BenchmarkTombstoneGC100k fills a bucket with 100 000 keys and deletes
// 90 000 of them through the publish path (a head every DefaultMaxRecent
// writes), then lets the delete markers expire and writes one key, whose
// publication runs the full compaction. The writer's clock runs an hour
// behind during the fill, with a 30-minute TombstoneTTL, and then catches
// up: nothing expires during the fill, every marker expires after it. It reports the snapshot bytes and the writer's
// index entries before and after the GC, and the time to list the bucket.
// Run: go test ./catalog -run '^$' -bench TombstoneGC100k -benchtime 1x
func BenchmarkTombstoneGC100k(b *testing.B) {
	const keys, deleted = 100_000, 90_000
	for b.Loop() {
		n := newNet(b)
		var clock skewClock
		clock.advance(-time.Hour)
		cfg := n.syncConfig("12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo")
		ccfg := Config{DB: fastDB(b), NodeID: cfg.NodeID, Now: clock.now, TombstoneTTL: 30 * time.Minute}
		a := n.startWith(b, ccfg, cfg)
		ctx := b.Context()
		if err := a.CreateBucket(ctx, n.user, "big"); err != nil {
			b.Fatal(err)
		}
		etag := strings.Repeat("0123456789abcdef", 2)
		for i := range 2 * keys { // puts, then deletes of 9 keys in 10
			key := fmt.Sprintf("photos/2026/%08d.jpg", i%keys)
			var err error
			if i < keys {
				e := &Entry{Key: key, Size: int64(i), ETag: etag}
				e.InfoHash[0], e.SHA256[0] = byte(i), byte(i>>8)
				_, err = a.Put(ctx, n.user, "big", e, nil)
			} else if i%10 != 0 {
				_, err = a.Delete(ctx, n.user, "big", key)
			}
			if err != nil {
				b.Fatal(err)
			}
			if (i+1)%DefaultMaxRecent == 0 {
				flush(b, a)
			}
		}
		flush(b, a)
		before, _ := currentSnapshot(b, n, "big")
		indexBefore, listBefore := countIndex(b, a, n.user, "big"), timeListing(b, a, n.user, "big", keys-deleted)

		clock.advance(time.Hour)
		start := time.Now()
		if _, err := a.Put(ctx, n.user, "big", &Entry{Key: "late", ETag: etag}, nil); err != nil {
			b.Fatal(err)
		}
		flush(b, a)
		gcTime := time.Since(start)
		after, _ := currentSnapshot(b, n, "big")
		indexAfter, listAfter := countIndex(b, a, n.user, "big"), timeListing(b, a, n.user, "big", keys-deleted+1)
		b.Logf("%d keys, %d deleted: snapshot %d bytes in %d runs before GC, %d bytes in %d runs after (publish with GC %v); index %d entries before, %d after; listing %v before, %v after",
			keys, deleted, before.Size(), len(before.Runs), after.Size(), len(after.Runs), gcTime.Round(time.Millisecond),
			indexBefore, indexAfter, listBefore.Round(time.Microsecond), listAfter.Round(time.Microsecond))
		b.ReportMetric(float64(before.Size()), "snapshot-bytes-before")
		b.ReportMetric(float64(after.Size()), "snapshot-bytes-after")
		if after.Size()*5 > before.Size() || indexAfter != keys-deleted+1 {
			b.Fatalf("GC left %d of %d snapshot bytes and %d index entries", after.Size(), before.Size(), indexAfter)
		}
	}
}

// timeListing lists bucket from c's index three times and returns the
// shortest time.
func timeListing(tb testing.TB, c *Catalog, user, bucket string, want int) time.Duration {
	tb.Helper()
	best := time.Duration(1<<63 - 1)
	for range 3 {
		start := time.Now()
		got := len(listKeys(tb, c, user, bucket))
		if got != want {
			tb.Fatalf("listed %d keys, want %d", got, want)
		}
		best = min(best, time.Since(start))
	}
	return best
}

// BenchmarkSnapshotBytesPer1000Writes fills a bucket of 10 000 keys
// (object-like entries: 20-byte keys, infohash, SHA-256, ETag) through
// the publish path, a head after every DefaultMaxRecent writes, and
// reports the snapshot blob bytes the writer stored per 1 000 writes:
// what PutBlob hands to replication, once per holder that is not the
// writer (R, or R-1 when the writer is a holder).
func BenchmarkSnapshotBytesPer1000Writes(b *testing.B) {
	const keys = 10_000
	for range b.N {
		n := newNet(b)
		a := n.start(b, fastDB(b), n.syncConfig("12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo"))
		if err := a.CreateBucket(b.Context(), n.user, "big"); err != nil {
			b.Fatal(err)
		}
		for i := range keys {
			e := &Entry{Key: fmt.Sprintf("photos/%08d.jpg", i), Size: int64(i), ETag: "0123456789abcdef0123456789abcdef"}
			e.InfoHash[0], e.SHA256[0] = byte(i), byte(i>>8)
			if _, err := a.Put(b.Context(), n.user, "big", e, nil); err != nil {
				b.Fatal(err)
			}
			if (i+1)%DefaultMaxRecent == 0 {
				flush(b, a)
			}
		}
		flush(b, a)
		written, _ := n.blobs.stats()
		b.ReportMetric(float64(written)/keys*1000, "blob-bytes/1000-writes")
	}
}
