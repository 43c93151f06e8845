package swarm

import (
	"context"
	"fmt"
)

// reportCorrupt logs a damaged object and tells Config.OnCorrupt.
func (s *Swarm) reportCorrupt(id ID, err error) {
	s.log.Warn("stored object is corrupt", "id", id, "err", err)
	if s.onCorrupt != nil {
		s.onCorrupt(id)
	}
}

// Scrub reads every piece of a stored object and checks its SHA-1
// against the object's metainfo: nil when all match, an error wrapping
// ErrCorrupt naming the first damaged piece otherwise (Config.OnCorrupt is
// called too). It reads one span at a time on the calling goroutine: a
// scrub is background work, paced by its caller, and should not take
// both cores from the reads it protects. ErrNotFound, or ctx's error.
func (s *Swarm) Scrub(ctx context.Context, id ID) error {
	rec, err := s.record(id)
	if err != nil {
		return err
	}
	ps, c, err := s.openSource(ctx, id, rec)
	if err != nil {
		return err
	}
	defer c.Close()
	for off := int64(0); off < ps.Size; {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("swarm: scrub %s: %w", id, context.Cause(ctx))
		}
		sp := ps.Load(off, min(ps.SpanLen(), ps.Size-off))
		off = sp.End()
		err := sp.Err
		sp.Release()
		if err != nil {
			return fmt.Errorf("swarm: scrub: %w", err)
		}
	}
	return nil
}
