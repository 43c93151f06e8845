package verified

import (
	"errors"
	"math/bits"
	"sync"
)

// Span is verified bytes of an object, held in a pooled buffer until
// Release.
type Span struct {
	Off int64
	B   []byte  // the verified bytes from Off
	Err error   // why the piece at Off+len(B) is not served; nil if unknown
	buf *[]byte // the pooled buffer behind B
}

// End returns the offset just past the verified bytes.
func (sp *Span) End() int64 { return sp.Off + int64(len(sp.B)) }

// has reports whether the span holds byte off.
func (sp *Span) has(off int64) bool { return off >= sp.Off && off < sp.End() }

// stoppedAt reports whether the span ended at the damaged piece that
// starts at off: a read there fails again without reading it again (an
// I/O error is retried).
func (sp *Span) stoppedAt(off int64) bool {
	return off == sp.End() && errors.Is(sp.Err, ErrCorrupt)
}

// Release returns the buffer to its pool and empties the span.
func (sp *Span) Release() {
	if sp.buf != nil {
		putBuf(sp.buf)
	}
	*sp = Span{}
}

// Buffers come from one pool per power of two from 16 KiB (the smallest
// piece) to 16 MiB (the largest span), so a reader neither allocates
// megabytes per GET nor pins a large buffer for a small object.
const (
	minBufShift = 14
	maxBufShift = 24
)

var bufPools [maxBufShift - minBufShift + 1]sync.Pool

// bufClass returns the pool index for an n-byte buffer.
func bufClass(n int64) int {
	return max(bits.Len64(uint64(max(n, 1)-1)), minBufShift) - minBufShift
}

// getBuf returns a buffer of at least n bytes (n ≤ 16 MiB).
func getBuf(n int64) *[]byte {
	c := bufClass(n)
	if b, ok := bufPools[c].Get().(*[]byte); ok {
		return b
	}
	b := make([]byte, 1<<(c+minBufShift))
	return &b
}

func putBuf(b *[]byte) {
	*b = (*b)[:cap(*b)]
	bufPools[bufClass(int64(len(*b)))].Put(b)
}
