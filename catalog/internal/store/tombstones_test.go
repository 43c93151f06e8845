package store

import (
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// TestDropMarkersKeepsUnpublished checks the index side of the GC: a
// marker still in the outbox (not yet published) stays, whatever its age,
// and so do newer markers and every live entry.
func TestDropMarkersKeepsUnpublished(t *testing.T) {
	c := openStore(t)
	ctx := t.Context()
	for _, key := range []string{"live", "pub", "unpub", "fresh"} {
		putKey(t, c, key)
	}
	for _, key := range []string{"pub", "unpub"} {
		if _, err := c.Delete(ctx, "u", "b", key); err != nil {
			t.Fatal(err)
		}
	}
	horizon := c.clock.Now()
	if _, err := c.Delete(ctx, "u", "b", "fresh"); err != nil {
		t.Fatal(err)
	}
	err := c.db.Update(func(txn *badger.Txn) error { // "pub" and "fresh" were published
		for _, key := range []string{"live", "pub", "fresh"} {
			if err := txn.Delete(outboxKey("u", "b", key)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	n, err := c.DropMarkers(ctx, Key{"u", "b"}, horizon)
	if err != nil || n != 1 || countIndex(t, c, "u", "b") != 3 {
		t.Fatalf("dropped %d markers (%v), %d entries left, want 1 and 3", n, err, countIndex(t, c, "u", "b"))
	}
	if keys := listKeys(t, c, "u", "b"); len(keys) != 1 || keys[0] != "live" {
		t.Fatalf("listing %q", keys)
	}
}

// TestReenqueueSkipsWritesOlderThanTTL checks the rule that keeps a
// node back from a long absence from resurrecting keys: of its own
// current entries newer than the head's frontier, only those within
// TombstoneTTL go back into the outbox.
func TestReenqueueSkipsWritesOlderThanTTL(t *testing.T) {
	var clock skewClock
	c := newStore(t, clock.now)
	cutoff := func() Time { return Time{Wall: clock.now().Add(-time.Minute).UnixNano()} } // TombstoneTTL: a minute
	ctx := t.Context()
	if err := c.CreateBucket(ctx, "u", "b"); err != nil {
		t.Fatal(err)
	}
	putKey(t, c, "old")
	if _, err := c.Delete(ctx, "u", "b", "old"); err != nil {
		t.Fatal(err)
	}
	putKey(t, c, "older")
	clock.advance(2 * time.Minute)
	putKey(t, c, "new")
	if _, err := c.Put(ctx, "u", "b", &Entry{Key: "theirs", Writer: "node-b"}, nil); err != nil {
		t.Fatal(err)
	}
	err := c.db.Update(func(txn *badger.Txn) error { // all published and settled
		for _, key := range []string{"old", "older", "new", "theirs"} {
			if err := txn.Delete(outboxKey("u", "b", key)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	k := Key{"u", "b"}
	n, err := c.Outbox().Reenqueue(ctx, k, Time{}, cutoff())
	if err != nil || n != 1 {
		t.Fatalf("reenqueued %d (%v), want 1", n, err)
	}
	pending, err := c.Outbox().Entries(k)
	if err != nil || len(pending) != 1 || pending[0].Key != "new" {
		t.Fatalf("outbox %v, %v; want [new]", pending, err)
	}
	if n, err := c.Outbox().Reenqueue(ctx, k, Time{}, cutoff()); err != nil || n != 0 {
		t.Fatalf("second reenqueue put back %d (%v), want 0: the outbox has it", n, err)
	}
}
