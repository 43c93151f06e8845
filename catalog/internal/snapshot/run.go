package snapshot

import (
	"fmt"

	"github.com/d3s/d3s/catalog/internal/entry"
)

// RunWriter encodes a run: entries must come in strictly ascending key
// order.
type RunWriter struct {
	body       entry.Encoder
	count      uint64
	deletes    uint64
	lastDelete int64
}

// Add appends one encoded entry, e decoded.
func (w *RunWriter) Add(raw []byte, e *entry.Entry) {
	w.body.Uvarint(uint64(len(raw)))
	w.body.Raw(raw)
	w.count++
	if e.DeleteMarker {
		w.deletes++
		w.lastDelete = max(w.lastDelete, e.Time.Wall)
	}
}

// Count returns the entries added so far.
func (w *RunWriter) Count() uint64 { return w.count }

// Finish returns the run blob and its reference.
func (w *RunWriter) Finish() ([]byte, RunRef) {
	enc := entry.Encoder{B: make([]byte, 0, len(w.body.B)+len(runMagic)+11)}
	enc.Raw([]byte(runMagic))
	enc.Byte(runVersion)
	enc.Uvarint(w.count)
	enc.Raw(w.body.B)
	return enc.B, RunRef{ID: ID(enc.B), Entries: w.count, Bytes: uint64(len(enc.B)), Deletes: w.deletes, LastDelete: w.lastDelete}
}

// RunReader decodes a run entry by entry, checking the key order.
type RunReader struct {
	id      []byte
	d       entry.Decoder
	left, i uint64
	prev    string
	cur     *entry.Entry // the entry next returned, nil at the end
	raw     []byte       // cur's encoding
	err     error
}

// OpenRun checks that data is the run named id and positions the reader
// on its first entry.
func OpenRun(id, data []byte) (*RunReader, error) {
	_, body, err := checkBlob(id, data, runMagic, runVersion, runVersion)
	if err != nil {
		return nil, err
	}
	r := &RunReader{id: id, d: entry.Decoder{B: body}}
	r.left = r.d.Uvarint()
	if r.left > uint64(len(r.d.B)) {
		return nil, fmt.Errorf("run %x: %w: count %d", id, ErrBadSnapshot, r.left)
	}
	r.advance()
	return r, r.err
}

// advance decodes the next entry into cur (nil at the end, or on error).
func (r *RunReader) advance() {
	r.cur, r.raw = nil, nil
	if r.err != nil {
		return
	}
	if r.left == 0 {
		if err := r.d.Finish("run"); err != nil {
			r.err = fmt.Errorf("run %x: %w: %w", r.id, ErrBadSnapshot, err)
		}
		return
	}
	l := r.d.Uvarint()
	if l > uint64(len(r.d.B)) {
		r.err = fmt.Errorf("run %x entry %d: %w: truncated", r.id, r.i, ErrBadSnapshot)
		return
	}
	raw := r.d.B[:l]
	r.d.B = r.d.B[l:]
	e := new(entry.Entry)
	if err := e.UnmarshalBinary(raw); err != nil || (r.i > 0 && e.Key <= r.prev) {
		r.err = fmt.Errorf("run %x entry %d: %w", r.id, r.i, ErrBadSnapshot)
		return
	}
	r.cur, r.raw, r.prev = e, raw, e.Key
	r.left--
	r.i++
}

// DecodeRun checks that data is the run named id and calls fn with its
// entries in key order, at most chunkLen at a time (the slice is reused).
func DecodeRun(id, data []byte, chunkLen int, fn func([]*entry.Entry) error) error {
	r, err := OpenRun(id, data)
	if err != nil {
		return err
	}
	chunk := make([]*entry.Entry, 0, chunkLen)
	for ; r.cur != nil; r.advance() {
		if chunk = append(chunk, r.cur); len(chunk) == chunkLen {
			if err := fn(chunk); err != nil {
				return err
			}
			chunk = chunk[:0]
		}
	}
	if r.err != nil {
		return r.err
	}
	if len(chunk) > 0 {
		return fn(chunk)
	}
	return nil
}
