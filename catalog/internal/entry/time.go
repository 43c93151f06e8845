package entry

import (
	"sync"
	"time"
)

// Time is a hybrid logical clock reading: physical Unix time in
// nanoseconds plus a logical counter that orders events sharing one
// physical reading. Entries are ordered by (Time, Writer) so that
// concurrent writers on different nodes agree on the last writer.
type Time struct {
	Wall    int64  // Unix nanoseconds
	Logical uint32 // tie-breaker within one Wall value
}

// Compare returns -1, 0 or +1 as t is before, equal to or after u.
func (t Time) Compare(u Time) int {
	switch {
	case t.Wall < u.Wall:
		return -1
	case t.Wall > u.Wall:
		return 1
	case t.Logical < u.Logical:
		return -1
	case t.Logical > u.Logical:
		return 1
	}
	return 0
}

// Std returns the physical part as a time.Time in UTC.
func (t Time) Std() time.Time { return time.Unix(0, t.Wall).UTC() }

// IsZero reports whether t is the zero reading.
func (t Time) IsZero() bool { return t.Wall == 0 && t.Logical == 0 }

// Clock issues strictly increasing Times even when the system clock stalls
// or steps back, and moves forward past times observed from other nodes.
type Clock struct {
	mu   sync.Mutex
	last Time
	now  func() time.Time
}

// NewClock returns a clock reading now (time.Now when nil).
func NewClock(now func() time.Time) *Clock {
	if now == nil {
		now = time.Now
	}
	return &Clock{now: now}
}

// Now returns a Time after every Time this clock returned or observed.
func (c *Clock) Now() Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	wall := c.now().UnixNano()
	if wall > c.last.Wall {
		c.last = Time{Wall: wall}
	} else {
		c.last.Logical++
	}
	return c.last
}

// Observe moves the clock past a time seen in a remote record, so the next
// local write orders after it.
func (c *Clock) Observe(t Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.Compare(c.last) > 0 {
		c.last = t
	}
}
