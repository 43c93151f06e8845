package catalog

import (
	"cmp"
	"context"
	"slices"

	"github.com/dgraph-io/badger/v4"

	"github.com/d3s/d3s/catalog/internal/entry"
	"github.com/d3s/d3s/dht/record"
)

// Partition repair (doc.go, "Partitions"). Every head carries a frontier:
// per writer node, the latest time of its entries merged into the head.
// This node also keeps, per bucket, its mark: the latest time of its own
// entries that left the outbox because a published record held them. Own
// entries newer than the mark are still in the outbox; older ones are
// only in published records, which a partition can lose: each side
// publishes its own heads, and when it heals the head with the higher
// sequence wins everywhere. A head whose frontier for this node is below
// the mark has lost some of them, so this node puts its current entries
// newer than that frontier back into the outbox and publishes them again.

// nextFrontier returns the frontier of a head built from a base with
// frontier base and carrying pending: per writer the later of the two,
// without marks older than keep, at most record.MaxFrontier (the newest),
// sorted by writer.
func nextFrontier(base []record.FrontierMark, pending []*Entry, keep Time) []record.FrontierMark {
	marks := make(map[string]record.HLC, len(base)+1)
	raise := func(w string, t record.HLC) {
		if cur, ok := marks[w]; (!ok || t.Compare(cur) > 0) && len(w) > 0 && len(w) <= record.MaxWriterLen {
			marks[w] = t
		}
	}
	for _, m := range base {
		raise(m.Writer, m.Time)
	}
	for _, e := range pending {
		raise(e.Writer, toHLC(e.Time))
	}
	out := make([]record.FrontierMark, 0, len(marks))
	for w, t := range marks {
		if t.Wall >= keep.Wall && t.Wall > 0 {
			out = append(out, record.FrontierMark{Writer: w, Time: t})
		}
	}
	if len(out) > record.MaxFrontier {
		slices.SortFunc(out, func(a, b record.FrontierMark) int { return b.Time.Compare(a.Time) })
		out = out[:record.MaxFrontier]
	}
	slices.SortFunc(out, func(a, b record.FrontierMark) int { return cmp.Compare(a.Writer, b.Writer) })
	return out
}

// frontierKeep returns the age past which frontier marks are left out of
// new heads: twice TombstoneTTL. Writes older than the TTL are not
// republished anyway; the margin keeps a node configured with a longer
// TTL than the publisher's from seeing its mark vanish and republishing
// over and over.
func (c *Catalog) frontierKeep() Time {
	return Time{Wall: c.now().Add(-2 * c.ttl).UnixNano()}
}

// markKey holds this node's mark for a bucket (bucket "": the bucket list).
func markKey(user, bucket string) []byte {
	b := appendLP([]byte(prefixMark), user)
	return appendLP(b, bucket)
}

// encodeMark and decodeMark are the value of a mark key.
func encodeMark(t Time) []byte {
	enc := entry.Encoder{}
	enc.Varint(t.Wall)
	enc.Uvarint(uint64(t.Logical))
	return enc.B
}

func decodeMark(val []byte) Time {
	d := entry.Decoder{B: val}
	t := Time{Wall: d.Varint(), Logical: uint32(d.Uvarint())}
	if d.Finish("mark") != nil {
		return Time{}
	}
	return t
}

// getMark returns k's mark in txn, zero when none.
func getMark(txn *badger.Txn, k bkey) (Time, error) {
	val, found, err := getValue(txn, markKey(k.user, k.bucket))
	if err != nil || !found {
		return Time{}, err
	}
	return decodeMark(val), nil
}

// raiseMark sets k's mark to t in txn if t is later; it reports whether it
// did.
func raiseMark(txn *badger.Txn, k bkey, t Time) (bool, error) {
	cur, err := getMark(txn, k)
	if err != nil || t.Compare(cur) <= 0 {
		return false, err
	}
	return true, txn.Set(markKey(k.user, k.bucket), encodeMark(t))
}

// loadMark returns k's mark, zero when none.
func (c *Catalog) loadMark(k bkey) (Time, error) {
	var t Time
	err := c.db.View(func(txn *badger.Txn) error {
		var err error
		t, err = getMark(txn, k)
		return err
	})
	return t, err
}

// raiseMarkTo raises k's mark to t and tells the syncer, which watches
// the buckets with recent marks.
func (s *syncer) raiseMarkTo(ctx context.Context, k bkey, t Time) error {
	if t.IsZero() {
		return nil
	}
	var raised bool
	err := s.c.update(ctx, func(txn *badger.Txn) error {
		var err error
		raised, err = raiseMark(txn, k, t)
		return err
	})
	if err == nil && raised {
		s.watchMark(k, t)
	}
	return err
}

// lowerMarkTo sets k's mark to t (removing it when t is zero) after the
// entries newer than t were put back into the outbox.
func (s *syncer) lowerMarkTo(ctx context.Context, k bkey, t Time) error {
	err := s.c.update(ctx, func(txn *badger.Txn) error {
		if t.IsZero() {
			return txn.Delete(markKey(k.user, k.bucket))
		}
		return txn.Set(markKey(k.user, k.bucket), encodeMark(t))
	})
	if err == nil {
		s.watchMark(k, t)
	}
	return err
}

// loadMarks returns the marks not older than cutoff and deletes the
// others: a mark older than TombstoneTTL guards nothing (such writes are
// not republished).
func (c *Catalog) loadMarks(ctx context.Context, cutoff Time) (map[bkey]Time, error) {
	marks := make(map[bkey]Time)
	var stale [][]byte
	err := c.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(prefixMark), PrefetchValues: true})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			user, rest, ok := readLP(it.Item().Key()[len(prefixMark):])
			bucket, _, ok2 := readLP(rest)
			val, err := it.Item().ValueCopy(nil)
			if err != nil {
				return err
			}
			if t := decodeMark(val); ok && ok2 && t.Compare(cutoff) >= 0 {
				marks[bkey{user, bucket}] = t
			} else {
				stale = append(stale, it.Item().KeyCopy(nil))
			}
		}
		return nil
	})
	if err != nil || len(stale) == 0 {
		return marks, err
	}
	return marks, c.update(ctx, func(txn *badger.Txn) error {
		for _, key := range stale {
			if err := txn.Delete(key); err != nil {
				return err
			}
		}
		return nil
	})
}

// settledMark returns the mark that a settled record of ours raises k's
// to: the latest of its own entries (every entry of the bucket list's
// outbox is this node's).
func (s *syncer) settledMark(k bkey, carried map[string]*Entry) Time {
	var t Time
	for _, e := range carried {
		if (k.bucket == "" || e.Writer == s.c.nodeID) && e.Time.Compare(t) > 0 {
			t = e.Time
		}
	}
	return t
}

// restoreLost compares h, just merged into k, with this node's mark: when
// h's frontier for this node is below it, h lost own writes that had left
// the outbox, so the current own entries newer than the frontier (and not
// older than TombstoneTTL) go back into the outbox and are published
// again. The mark then drops to the frontier, so the same head does not
// trigger the scan twice, and rises again when the republished entries
// settle. st.work of k is held.
func (s *syncer) restoreLost(ctx context.Context, k bkey, h record.CatalogHead) error {
	if s.c.nodeID == "" {
		return nil
	}
	mark, err := s.c.loadMark(k)
	if err != nil || mark.IsZero() {
		return err
	}
	since := fromHLC(h.FrontierOf(s.c.nodeID))
	if since.Compare(mark) >= 0 {
		return nil
	}
	cutoff := s.c.tombstoneCutoff()
	if mark.Compare(cutoff) < 0 {
		return s.lowerMarkTo(ctx, k, Time{}) // nothing recent enough to republish
	}
	n, err := s.c.reenqueue(ctx, k, since, cutoff)
	if err != nil {
		return err
	}
	if err := s.lowerMarkTo(ctx, k, since); err != nil {
		return err
	}
	if n > 0 {
		s.log.Info("republishing writes the published head lost", "user", k.user, "bucket", k.bucket,
			"entries", n, "head_writer", h.Writer, "head_seq", h.Seq)
		s.kick(k)
	}
	return nil
}

// reenqueue puts this node's current entries of k newer than since and
// not older than cutoff back into the outbox, unless the outbox holds the
// key's entry already or a newer one; it returns how many it put back.
// It scans the bucket's index in bounded transactions.
func (c *Catalog) reenqueue(ctx context.Context, k bkey, since, cutoff Time) (int, error) {
	prefix := objectsPrefix(k.user, k.bucket)
	from, total := prefix, 0
	for from != nil {
		var n int
		var next []byte
		err := c.update(ctx, func(txn *badger.Txn) error {
			var err error
			n, next, err = c.reenqueueChunk(txn, k, prefix, from, since, cutoff)
			return err
		})
		if err != nil {
			return total, err
		}
		total += n
		from = next
	}
	return total, nil
}

// reenqueueChunk is one transaction of reenqueue: it scans up to
// scanChunk entries from key from and returns how many it put back and
// where to go on (nil at the end).
func (c *Catalog) reenqueueChunk(txn *badger.Txn, k bkey, prefix, from []byte, since, cutoff Time) (int, []byte, error) {
	var own []*Entry
	var next []byte
	it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix, PrefetchValues: true})
	scanned := 0
	for it.Seek(from); it.Valid(); it.Next() {
		if scanned == scanChunk {
			next = it.Item().KeyCopy(nil)
			break
		}
		scanned++
		e := new(Entry)
		if err := it.Item().Value(e.UnmarshalBinary); err != nil {
			it.Close()
			return 0, nil, err
		}
		if e.Writer == c.nodeID && e.Time.Compare(since) > 0 && e.Time.Compare(cutoff) >= 0 {
			own = append(own, e)
		}
	}
	it.Close()
	n := 0
	for _, e := range own {
		okey := outboxKey(k.user, k.bucket, e.Key)
		ob, err := getEntry(txn, okey)
		if err != nil {
			return 0, nil, err
		}
		if ob != nil && !e.Newer(ob) {
			continue
		}
		val, err := e.MarshalBinary()
		if err != nil {
			return 0, nil, err
		}
		if err := txn.Set(okey, val); err != nil {
			return 0, nil, err
		}
		n++
	}
	return n, next, nil
}

// scanChunk bounds the index entries one transaction of a bucket scan
// (reenqueue, dropMarkers) reads.
const scanChunk = 1024
