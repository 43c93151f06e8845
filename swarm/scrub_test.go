package swarm

import (
	"context"
	"errors"
	"testing"
)

// TestScrub checks intact objects of every kind, finds a flipped byte in
// a file object and in the part of a Concat object, and honours its
// context.
func TestScrub(t *testing.T) {
	s := newCorruptSwarm(t, 0)
	file := mustPut(t, s.testSwarm, randBytes(1, 3<<20+5))
	inline := mustPut(t, s.testSwarm, randBytes(2, 100))
	part := mustPut(t, s.testSwarm, randBytes(3, 200<<10))
	concat, err := s.Concat(t.Context(), []ID{file.ID, part.ID})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []ID{file.ID, inline.ID, part.ID, concat.ID} {
		if err := s.Scrub(t.Context(), id); err != nil {
			t.Fatalf("Scrub intact %s: %v", id, err)
		}
	}
	if err := s.Scrub(t.Context(), ID{1}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Scrub unknown: %v, want ErrNotFound", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := s.Scrub(ctx, file.ID); !errors.Is(err, context.Canceled) {
		t.Fatalf("Scrub with a cancelled context: %v", err)
	}

	flipFile(t, s.testSwarm, part.ID, 150<<10)
	wantCorrupt(t, s.Scrub(t.Context(), part.ID), part.ID, 150<<10/part.PieceLength)
	wantCorrupt(t, s.Scrub(t.Context(), concat.ID), concat.ID, (file.Size+150<<10)/concat.PieceLength)
	if err := s.Scrub(t.Context(), file.ID); err != nil {
		t.Fatalf("Scrub of an intact object beside damaged ones: %v", err)
	}
	// A second damaged piece later does not hide the first.
	flipFile(t, s.testSwarm, file.ID, 3<<20)
	flipFile(t, s.testSwarm, file.ID, 1<<20)
	wantCorrupt(t, s.Scrub(t.Context(), file.ID), file.ID, 1<<20/file.PieceLength)
	damageInline(t, s.testSwarm, inline.ID, 0)
	wantCorrupt(t, s.Scrub(t.Context(), inline.ID), inline.ID, 0)
	for _, id := range []ID{part.ID, concat.ID, file.ID, inline.ID} {
		if s.reported(id) == 0 {
			t.Errorf("OnCorrupt not called for %s", id)
		}
	}
}
