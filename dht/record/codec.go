package record

import (
	"encoding/binary"
	"fmt"
	"time"
)

// Record types: the second byte of every bucket record, so that a record of
// one kind never validates under another kind's key.
const (
	// RecordTypeBucketList marks a BucketListRecord.
	RecordTypeBucketList = 2
	// RecordTypeCatalogHead marks a CatalogHead.
	RecordTypeCatalogHead = 3
)

// BucketRecordVersion is the version byte of the bucket list format, and
// of the first catalogue head format (CatalogHeadV1; heads are now written
// in CatalogHeadVersion).
const BucketRecordVersion = 1

// MaxBucketRecordSize bounds an encoded bucket list or catalogue head. kad-dht
// drops values near 4 MiB without an error; 512 KiB leaves a wide margin and
// keeps a head cheap to fetch on every revalidation.
const MaxBucketRecordSize = 512 << 10

// MaxClockSkew is how far in the future a catalogue head's HLC time may lie
// before validators reject it: further than that, a writer's clock (or a
// forger) would freeze last-writer-wins merges for everyone.
const MaxClockSkew = 5 * time.Minute

// HLC is a hybrid-logical-clock time: Unix nanoseconds plus a logical
// counter that orders events within one wall-clock value. It has the same
// fields as the catalog's clock time, so the two convert field by field.
type HLC struct {
	Wall    int64  // Unix nanoseconds
	Logical uint32 // tie-breaker within one Wall value
}

// Compare returns -1, 0 or +1 as t is before, equal to or after u.
func (t HLC) Compare(u HLC) int {
	switch {
	case t.Wall != u.Wall:
		return cmpInt(t.Wall, u.Wall)
	case t.Logical != u.Logical:
		return cmpInt(int64(t.Logical), int64(u.Logical))
	}
	return 0
}

func cmpInt(a, b int64) int {
	if a < b {
		return -1
	}
	if a > b {
		return 1
	}
	return 0
}

// appendHLC appends the 12-byte encoding of t.
func appendHLC(b []byte, t HLC) []byte {
	b = binary.BigEndian.AppendUint64(b, uint64(t.Wall))
	return binary.BigEndian.AppendUint32(b, t.Logical)
}

// Reader decodes the fixed-layout formats of the network — these records,
// and in package dht the join token and the stored peer addresses —
// without ever panicking: after a short read every further read returns
// zero values and Finish reports the input as truncated, so decoding code
// stays straight-line.
type Reader struct {
	buf  []byte
	fail bool
}

// NewReader returns a Reader over b.
func NewReader(b []byte) *Reader { return &Reader{buf: b} }

// Take returns the next n bytes (aliasing the input), or nil after a
// short read.
func (r *Reader) Take(n int) []byte {
	if r.fail || n < 0 || n > len(r.buf) {
		r.fail = true
		return nil
	}
	b := r.buf[:n:n]
	r.buf = r.buf[n:]
	return b
}

// U8 reads one byte.
func (r *Reader) U8() uint8 {
	if b := r.Take(1); b != nil {
		return b[0]
	}
	return 0
}

// U16 reads a big-endian uint16.
func (r *Reader) U16() uint16 {
	if b := r.Take(2); b != nil {
		return binary.BigEndian.Uint16(b)
	}
	return 0
}

// U32 reads a big-endian uint32.
func (r *Reader) U32() uint32 {
	if b := r.Take(4); b != nil {
		return binary.BigEndian.Uint32(b)
	}
	return 0
}

// U64 reads a big-endian uint64.
func (r *Reader) U64() uint64 {
	if b := r.Take(8); b != nil {
		return binary.BigEndian.Uint64(b)
	}
	return 0
}

// Bytes returns a copy of the next n bytes, so a record does not alias its
// input.
func (r *Reader) Bytes(n int) []byte {
	return append([]byte(nil), r.Take(n)...)
}

// HLC reads a 12-byte hybrid-logical-clock time.
func (r *Reader) HLC() HLC {
	return HLC{Wall: int64(r.U64()), Logical: r.U32()}
}

// Failed reports whether a read ran past the input.
func (r *Reader) Failed() bool { return r.fail }

// Finish reports a truncated input or trailing bytes as
// ErrMalformedRecord, naming what.
func (r *Reader) Finish(what string) error {
	if r.fail {
		return fmt.Errorf("%s: %w: truncated", what, ErrMalformedRecord)
	}
	if len(r.buf) != 0 {
		return fmt.Errorf("%s: %w: %d trailing bytes", what, ErrMalformedRecord, len(r.buf))
	}
	return nil
}

// checkHeader checks the size, version (BucketRecordVersion) and type byte
// shared by the bucket record formats.
func checkHeader(what string, data []byte, typ byte) error {
	return checkHeaderUpTo(what, data, typ, BucketRecordVersion)
}

// checkHeaderUpTo is checkHeader for a format of which versions 1 to
// maxVersion are known.
func checkHeaderUpTo(what string, data []byte, typ, maxVersion byte) error {
	if len(data) > MaxBucketRecordSize {
		return fmt.Errorf("%s of %d bytes: %w", what, len(data), ErrRecordTooLarge)
	}
	if len(data) < 2 {
		return fmt.Errorf("%s: %w: %d bytes", what, ErrMalformedRecord, len(data))
	}
	if data[0] < BucketRecordVersion || data[0] > maxVersion {
		return fmt.Errorf("%s version %d: %w", what, data[0], ErrUnknownVersion)
	}
	if data[1] != typ {
		return fmt.Errorf("%s: %w: type %d, want %d", what, ErrWrongRecordType, data[1], typ)
	}
	return nil
}
