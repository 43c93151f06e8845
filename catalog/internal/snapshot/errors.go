package snapshot

import "errors"

// ErrBadSnapshot: a snapshot blob whose content does not match its ID or
// does not decode. Package catalog exports the same value under the same
// name. A blob of an unknown version gives entry.ErrUnknownVersion.
var ErrBadSnapshot = errors.New("catalog: bad snapshot")
