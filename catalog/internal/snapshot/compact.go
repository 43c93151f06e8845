package snapshot

import "github.com/d3s/d3s/catalog/internal/entry"

// compactRatio drives size-tiered compaction: the newest runs are merged
// while their entries together, times compactRatio, exceed the run
// before them, so run sizes at least halve from one run to the next,
// every entry is rewritten O(log N) times and a manifest lists
// O(log N) runs.
const compactRatio = 2

// Tier returns the index of the first run of the newest tier: the runs
// from there on are merged into one.
func Tier(runs []RunRef) int {
	j := len(runs) - 1
	total := runs[j].Entries
	for j > 0 && total*compactRatio > runs[j-1].Entries {
		total += runs[j-1].Entries
		j--
	}
	return j
}

// gcRatio triggers a full compaction for tombstone GC: when the delete
// markers known to have expired are at least 1/gcRatio of the snapshot's
// entries, rewriting the whole snapshot (O(N)) sheds at least a quarter
// of it, so the rewrites cost O(1) per marker dropped.
const gcRatio = 4

// GCDue reports whether a full compaction of m would drop enough expired
// delete markers (markers older than cutoff): runs whose newest marker is
// older count all theirs.
func GCDue(m Manifest, cutoff entry.Time) bool {
	var total, expired uint64
	for _, r := range m.Runs {
		total += r.Entries
		if r.Deletes > 0 && r.LastDelete < cutoff.Wall {
			expired += r.Deletes
		}
	}
	return expired > 0 && expired*gcRatio >= total
}

// MergeReaders merges sorted runs by key, keeping per key the newest
// entry unless it is not newer than deleted or is a delete marker older
// than drop, into a run writer.
func MergeReaders(readers []*RunReader, deleted, drop entry.Time) (*RunWriter, error) {
	w := new(RunWriter)
	for {
		var best *RunReader
		for _, r := range readers {
			if r.cur == nil {
				continue
			}
			if best == nil || r.cur.Key < best.cur.Key || (r.cur.Key == best.cur.Key && r.cur.Newer(best.cur)) {
				best = r
			}
		}
		if best == nil {
			break
		}
		e, raw := best.cur, best.raw
		if e.Time.Compare(deleted) > 0 && !(e.DeleteMarker && e.Time.Compare(drop) < 0) {
			w.Add(raw, e)
		}
		key := e.Key
		for _, r := range readers {
			for r.cur != nil && r.cur.Key == key {
				r.advance()
			}
		}
	}
	for _, r := range readers {
		if r.err != nil {
			return nil, r.err
		}
	}
	return w, nil
}

// Cursor walks the keys of several sorted runs at once, for lookups in
// ascending key order.
type Cursor struct {
	readers []*RunReader
}

// NewCursor returns a cursor over readers, each at its first entry.
func NewCursor(readers []*RunReader) *Cursor { return &Cursor{readers: readers} }

// Has reports whether some run holds key; keys must be asked in
// ascending order.
func (c *Cursor) Has(key string) bool {
	found := false
	for _, r := range c.readers {
		for r.cur != nil && r.cur.Key < key {
			r.advance()
		}
		found = found || (r.cur != nil && r.cur.Key == key)
	}
	return found
}

// Err returns the first run decoding error met.
func (c *Cursor) Err() error {
	for _, r := range c.readers {
		if r.err != nil {
			return r.err
		}
	}
	return nil
}
