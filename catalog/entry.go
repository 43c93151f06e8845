package catalog

import (
	"time"

	"github.com/d3s/d3s/catalog/internal/entry"
)

// The catalogue's values live in catalog/internal/entry, shared with the
// sub-packages that store and publish them; these are their names here.

// Time is a hybrid logical clock reading: physical Unix time in
// nanoseconds plus a logical counter that orders events sharing one
// physical reading (entry.Time).
type Time = entry.Time

// Clock issues strictly increasing Times even when the system clock
// stalls or steps back, and moves forward past times observed from other
// nodes (entry.Clock).
type Clock = entry.Clock

// NewClock returns a clock reading now (time.Now when nil).
func NewClock(now func() time.Time) *Clock { return entry.NewClock(now) }

// Entry is one object version in a bucket index, ordered by (Time,
// Writer) (entry.Entry).
type Entry = entry.Entry

// Metadata is the client-supplied metadata of an object version
// (entry.Metadata).
type Metadata = entry.Metadata

// Checksum is an additional checksum of an object or part as the client
// sent it (entry.Checksum).
type Checksum = entry.Checksum
