package onepass

import "errors"

// ErrSizeMismatch is returned when the reader holds fewer or more bytes
// than the size it was declared to have. The swarm exports it as
// swarm.ErrSizeMismatch.
var ErrSizeMismatch = errors.New("swarm: size does not match")
