package swarm

import (
	"context"
	"errors"
)

// Scrub reads every piece of a stored object and checks its SHA-1
// against the object's metainfo: nil when all match, an error wrapping
// ErrCorrupt naming the first damaged piece otherwise (Config.OnCorrupt is
// called too). ErrNotFound.
func (s *Swarm) Scrub(ctx context.Context, id ID) error {
	return errors.New("swarm: Scrub not implemented") // TODO(H1)
}

// Repair replaces the stored bytes of a damaged object with a copy
// downloaded from peers (the swarm's own metainfo of id, every piece
// SHA-1 verified and the whole SHA-256 checked), keeping its references;
// a Concat object becomes a plain file. ErrNotFound.
func (s *Swarm) Repair(ctx context.Context, id ID, peers []string) error {
	return errors.New("swarm: Repair not implemented") // TODO(H1)
}
