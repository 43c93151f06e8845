package catalog

import (
	"cmp"
	"context"
	"slices"

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

// raiseMarkTo raises k's mark to t and tells the syncer, which watches
// the buckets with recent marks.
func (s *syncer) raiseMarkTo(ctx context.Context, k bkey, t Time) error {
	if t.IsZero() {
		return nil
	}
	raised, err := s.st.RaiseMark(ctx, k, t)
	if err == nil && raised {
		s.watchMark(k, t)
	}
	return err
}

// lowerMarkTo sets k's mark to t (removing it when t is zero) after the
// entries newer than t were put back into the outbox.
func (s *syncer) lowerMarkTo(ctx context.Context, k bkey, t Time) error {
	err := s.st.SetMark(ctx, k, t)
	if err == nil {
		s.watchMark(k, t)
	}
	return err
}

// settledMark returns the mark that a settled record of ours raises k's
// to: the latest of its own entries (every entry of the bucket list's
// outbox is this node's).
func (s *syncer) settledMark(k bkey, carried map[string]*Entry) Time {
	var t Time
	for _, e := range carried {
		if (k.Bucket == "" || e.Writer == s.st.NodeID()) && e.Time.Compare(t) > 0 {
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
	if s.st.NodeID() == "" {
		return nil
	}
	mark, err := s.st.LoadMark(k)
	if err != nil || mark.IsZero() {
		return err
	}
	since := fromHLC(h.FrontierOf(s.st.NodeID()))
	if since.Compare(mark) >= 0 {
		return nil
	}
	cutoff := s.c.tombstoneCutoff()
	if mark.Compare(cutoff) < 0 {
		return s.lowerMarkTo(ctx, k, Time{}) // nothing recent enough to republish
	}
	n, err := s.st.Outbox().Reenqueue(ctx, k, since, cutoff)
	if err != nil {
		return err
	}
	if err := s.lowerMarkTo(ctx, k, since); err != nil {
		return err
	}
	if n > 0 {
		s.log.Info("republishing writes the published head lost", "user", k.User, "bucket", k.Bucket,
			"entries", n, "head_writer", h.Writer, "head_seq", h.Seq)
		s.kick(k)
	}
	return nil
}

// frontierKeep returns the age past which frontier marks are left out of
// new heads: twice TombstoneTTL. Writes older than the TTL are not
// republished anyway; the margin keeps a node configured with a longer
// TTL than the publisher's from seeing its mark vanish and republishing
// over and over.
func (c *Catalog) frontierKeep() Time {
	return Time{Wall: c.now().Add(-2 * c.ttl).UnixNano()}

}
