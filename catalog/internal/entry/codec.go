package entry

import (
	"encoding/binary"
	"fmt"
)

// Encoder appends the primitive fields of a record; every variable-length
// field is length-prefixed so the encoding is unambiguous and
// deterministic (the same entry always gives the same bytes, as signing
// needs).
type Encoder struct {
	// B holds the bytes encoded so far.
	B []byte
}

// Byte appends one byte.
func (e *Encoder) Byte(v byte) { e.B = append(e.B, v) }

// Uvarint appends v as an unsigned varint.
func (e *Encoder) Uvarint(v uint64) { e.B = binary.AppendUvarint(e.B, v) }

// Varint appends v as a signed varint.
func (e *Encoder) Varint(v int64) { e.B = binary.AppendVarint(e.B, v) }

// Raw appends v as is (fixed-size fields).
func (e *Encoder) Raw(v []byte) { e.B = append(e.B, v...) }

// Str appends s prefixed with its length.
func (e *Encoder) Str(s string) {
	e.Uvarint(uint64(len(s)))
	e.B = append(e.B, s...)
}

// Decoder reads what Encoder wrote; the first error sticks and later
// reads return zero values, so decoding functions check Err once at the
// end (Finish).
type Decoder struct {
	// B holds the bytes not read yet.
	B []byte
	// Err is the first error met, wrapping ErrCorrupt.
	Err error
}

// Fail records that what does not decode and stops the decoder.
func (d *Decoder) Fail(what string) {
	if d.Err == nil {
		d.Err = fmt.Errorf("decode %s: %w", what, ErrCorrupt)
	}
	d.B = nil
}

// Byte reads one byte.
func (d *Decoder) Byte() byte {
	if len(d.B) < 1 {
		d.Fail("byte")
		return 0
	}
	v := d.B[0]
	d.B = d.B[1:]
	return v
}

// Uvarint reads an unsigned varint.
func (d *Decoder) Uvarint() uint64 {
	v, n := binary.Uvarint(d.B)
	if n <= 0 {
		d.Fail("uvarint")
		return 0
	}
	d.B = d.B[n:]
	return v
}

// Varint reads a signed varint.
func (d *Decoder) Varint() int64 {
	v, n := binary.Varint(d.B)
	if n <= 0 {
		d.Fail("varint")
		return 0
	}
	d.B = d.B[n:]
	return v
}

// Raw fills dst with the next len(dst) bytes.
func (d *Decoder) Raw(dst []byte) {
	if len(d.B) < len(dst) {
		d.Fail("fixed bytes")
		return
	}
	copy(dst, d.B)
	d.B = d.B[len(dst):]
}

// Str reads a length-prefixed string.
func (d *Decoder) Str() string {
	n := d.Uvarint()
	if n > uint64(len(d.B)) {
		d.Fail("string")
		return ""
	}
	s := string(d.B[:n])
	d.B = d.B[n:]
	return s
}

// Finish reports the first error, or ErrCorrupt if bytes are left over.
func (d *Decoder) Finish(what string) error {
	if d.Err == nil && len(d.B) != 0 {
		return fmt.Errorf("decode %s: trailing bytes: %w", what, ErrCorrupt)
	}
	if d.Err != nil {
		return fmt.Errorf("%s: %w", what, d.Err)
	}
	return nil
}
