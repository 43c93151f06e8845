package dht

import (
	"encoding/binary"
	"fmt"

	"github.com/d3s/d3s/dht/record"
)

// reader decodes the join token and the stored peer addresses without ever
// panicking: after a short read every further read returns zero values and
// finish reports the input as truncated, so decoding code stays
// straight-line. It is a copy of the record codec's reader, which package
// record keeps to itself.
type reader struct {
	buf  []byte
	fail bool
}

func (r *reader) take(n int) []byte {
	if r.fail || n < 0 || n > len(r.buf) {
		r.fail = true
		return nil
	}
	b := r.buf[:n:n]
	r.buf = r.buf[n:]
	return b
}

func (r *reader) u8() uint8 {
	if b := r.take(1); b != nil {
		return b[0]
	}
	return 0
}

func (r *reader) u16() uint16 {
	if b := r.take(2); b != nil {
		return binary.BigEndian.Uint16(b)
	}
	return 0
}

func (r *reader) u64() uint64 {
	if b := r.take(8); b != nil {
		return binary.BigEndian.Uint64(b)
	}
	return 0
}

// finish reports a truncated input or trailing bytes.
func (r *reader) finish(what string) error {
	if r.fail {
		return fmt.Errorf("%s: %w: truncated", what, record.ErrMalformedRecord)
	}
	if len(r.buf) != 0 {
		return fmt.Errorf("%s: %w: %d trailing bytes", what, record.ErrMalformedRecord, len(r.buf))
	}
	return nil
}
