package catalog

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

// TestRejoinMergesBothSides: two nodes that read and wrote a bucket on
// either side of a partition, with staleness and verify intervals far
// longer than the test (nothing but Rejoin revalidates), list the union
// of both sides' writes and deletes after the heal once each called
// Rejoin, as a node does when members reconnect, without any read.
func TestRejoinMergesBothSides(t *testing.T) {
	n := newNet(t)
	sa, sb := &side{recs: n.recs, blobs: n.blobs}, &side{recs: n.recs, blobs: n.blobs}
	start := func(s *side, id string) *Catalog {
		cfg := n.syncConfig(id)
		cfg.Records, cfg.Blobs = sideRecords{s}, sideBlobs{s}
		cfg.Staleness, cfg.VerifyInterval = time.Hour, time.Hour
		return n.start(t, openDB(t, t.TempDir()), cfg)
	}
	a, b := start(sa, "node-a"), start(sb, "node-b")
	sharedBucket(t, n, "part", a, b)
	putN(t, a, n.user, "part", "k", 4)
	flush(t, a)
	if err := b.Revalidate(t.Context(), n.user, "part"); err != nil {
		t.Fatal(err)
	}
	n.split(sb)
	putN(t, a, n.user, "part", "a/", 3)
	putN(t, b, n.user, "part", "b/", 2)
	if _, err := b.Delete(t.Context(), n.user, "part", "k0001"); err != nil {
		t.Fatal(err)
	}
	flush(t, a, b)
	n.heal(t, sb)

	want := []string{"a/0000", "a/0001", "a/0002", "b/0000", "b/0001", "k0000", "k0002", "k0003"}
	for _, c := range []*Catalog{a, b} {
		c.Rejoin()
	}
	eventually(t, "both sides' writes listed on both nodes", func() error {
		for i, c := range []*Catalog{a, b} {
			c.Rejoin() // a node calls it again rejoinAgain later
			if keys := listKeys(t, c, n.user, "part"); !slices.Equal(keys, want) {
				return fmt.Errorf("node %d lists %q", i, keys)
			}
		}
		return nil
	})
}
