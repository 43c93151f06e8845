package entry

import "errors"

// Errors of the value decoders; package catalog exports the same values
// under the same names.
var (
	// ErrCorrupt: a stored record does not decode.
	ErrCorrupt = errors.New("catalog: corrupt record")
	// ErrUnknownVersion: a stored record has an encoding version this
	// build does not know.
	ErrUnknownVersion = errors.New("catalog: unknown record version")
)
