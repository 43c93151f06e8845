package catalog

import (
	"fmt"
	"testing"
)

// BenchmarkListObjects100k lists a 100 000-key bucket from the local
// cache, as ListObjectsV2 does page after page.
func BenchmarkListObjects100k(b *testing.B) {
	const n = 100_000
	c := newCatalog(b, openDB(b, b.TempDir()))
	if err := c.CreateBucket(b.Context(), "u", "b"); err != nil {
		b.Fatal(err)
	}
	wb := c.db.NewWriteBatch()
	for i := range n {
		e := &Entry{Key: fmt.Sprintf("photos/2026/%08d.jpg", i), Size: int64(i), ETag: "0123456789abcdef0123456789abcdef"}
		c.stamp(e)
		val, _ := e.MarshalBinary()
		if err := wb.Set(objectKey("u", "b", e.Key), val); err != nil {
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
