package verified

import "errors"

// ErrCorrupt is returned when stored bytes fail their SHA-1 piece check;
// the error names the piece (CorruptErr). The swarm exports it as
// swarm.ErrCorrupt.
var ErrCorrupt = errors.New("swarm: stored object is corrupt")
