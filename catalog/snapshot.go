package catalog

import (
	"bytes"
	"crypto/sha256"
	"fmt"

	"github.com/d3s/d3s/catalog/internal/entry"
)

// Snapshot blobs (see doc.go, "Snapshot format, version 2"): a manifest
// lists runs, immutable sorted blobs of entries, oldest first.
const (
	runMagic      = "d3s-run"
	manifestMagic = "d3s-mfst"
	// runVersion is the run format (unchanged since snapshot version 2).
	runVersion = 2
	// manifestVersion is the manifest format written: version 2 plus the
	// tombstone horizon and each run's delete-marker count and newest
	// marker time. Version 2 manifests still decode (no horizon, marker
	// counts unknown).
	manifestVersion = 3
	// maxManifestRuns bounds the runs a manifest may list: size-tiered
	// compaction keeps about log2(entries/MaxRecent) of them.
	maxManifestRuns = 256
	// blobIDLen is the length of a blob ID (SHA-256).
	blobIDLen = sha256.Size
)

// snapshotID is a blob's content address.
func snapshotID(data []byte) []byte {
	sum := sha256.Sum256(data)
	return sum[:]
}

// checkBlob checks that data is the blob named id and starts with magic
// and a version from minVersion to maxVersion, and returns the version and
// what follows. ErrBadSnapshot, ErrUnknownVersion.
func checkBlob(id, data []byte, magic string, minVersion, maxVersion byte) (byte, []byte, error) {
	if !bytes.Equal(snapshotID(data), id) {
		return 0, nil, fmt.Errorf("blob %x: content does not match its ID: %w", id, ErrBadSnapshot)
	}
	if !bytes.HasPrefix(data, []byte(magic)) || len(data) == len(magic) {
		return 0, nil, fmt.Errorf("blob %x: %w: not a %s blob", id, ErrBadSnapshot, magic)
	}
	if v := data[len(magic)]; v < minVersion || v > maxVersion {
		return 0, nil, fmt.Errorf("blob %x version %d: %w", id, v, ErrUnknownVersion)
	}
	return data[len(magic)], data[len(magic)+1:], nil
}

// runRef names one run of a manifest with its size, which compaction
// reads without fetching the run, and its delete markers, from which the
// writer tells when a full compaction would drop enough expired ones.
type runRef struct {
	id      []byte
	entries uint64
	bytes   uint64
	deletes uint64 // delete markers in the run (0 when unknown: version 2)
	// lastDelete is the wall time of the run's newest delete marker: once
	// it is older than the tombstone cutoff, all deletes have expired.
	lastDelete int64
}

// manifest is the decoded content of a manifest blob.
type manifest struct {
	runs []runRef
	// horizon (Unix ns) is the tombstone cutoff of the last full
	// compaction: no run holds a delete marker dated before it, nor any
	// entry such a marker shadowed, so a node that merged the manifest
	// may drop those markers from its index too. 0 when none ran.
	horizon int64
}

// encode returns the manifest blob (manifestVersion).
func (m manifest) encode() []byte {
	enc := entry.Encoder{B: make([]byte, 0, len(manifestMagic)+13+len(m.runs)*(blobIDLen+24))}
	enc.Raw([]byte(manifestMagic))
	enc.Byte(manifestVersion)
	enc.Varint(m.horizon)
	enc.Uvarint(uint64(len(m.runs)))
	for _, r := range m.runs {
		enc.Raw(r.id)
		enc.Uvarint(r.entries)
		enc.Uvarint(r.bytes)
		enc.Uvarint(r.deletes)
		enc.Varint(r.lastDelete)
	}
	return enc.B
}

// has reports whether id is the manifest's run.
func (m manifest) has(id []byte) bool {
	for _, r := range m.runs {
		if bytes.Equal(r.id, id) {
			return true
		}
	}
	return false
}

// decodeManifest checks that data is the manifest named id and decodes it
// (version 2 or 3).
func decodeManifest(id, data []byte) (manifest, error) {
	v, body, err := checkBlob(id, data, manifestMagic, 2, manifestVersion)
	if err != nil {
		return manifest{}, err
	}
	d := entry.Decoder{B: body}
	var m manifest
	if v >= 3 {
		m.horizon = d.Varint()
	}
	n := d.Uvarint()
	if n > maxManifestRuns {
		return manifest{}, fmt.Errorf("manifest %x: %w: %d runs", id, ErrBadSnapshot, n)
	}
	m.runs = make([]runRef, 0, n)
	for range n {
		r := runRef{id: make([]byte, blobIDLen)}
		d.Raw(r.id)
		r.entries, r.bytes = d.Uvarint(), d.Uvarint()
		if v >= 3 {
			r.deletes, r.lastDelete = d.Uvarint(), d.Varint()
		}
		m.runs = append(m.runs, r)
	}
	if err := d.Finish("manifest"); err != nil {
		return manifest{}, fmt.Errorf("manifest %x: %w: %w", id, ErrBadSnapshot, err)
	}
	return m, nil
}

// bytes returns the run bytes the manifest lists, its snapshot's size.
func (m manifest) bytes() uint64 {
	var n uint64
	for _, r := range m.runs {
		n += r.bytes
	}
	return n
}

// runWriter encodes a run: entries must come in strictly ascending key
// order.
type runWriter struct {
	body       entry.Encoder
	count      uint64
	deletes    uint64
	lastDelete int64
}

// add appends one encoded entry, e decoded.
func (w *runWriter) add(raw []byte, e *Entry) {
	w.body.Uvarint(uint64(len(raw)))
	w.body.Raw(raw)
	w.count++
	if e.DeleteMarker {
		w.deletes++
		w.lastDelete = max(w.lastDelete, e.Time.Wall)
	}
}

// finish returns the run blob and its reference.
func (w *runWriter) finish() ([]byte, runRef) {
	enc := entry.Encoder{B: make([]byte, 0, len(w.body.B)+len(runMagic)+11)}
	enc.Raw([]byte(runMagic))
	enc.Byte(runVersion)
	enc.Uvarint(w.count)
	enc.Raw(w.body.B)
	return enc.B, runRef{id: snapshotID(enc.B), entries: w.count, bytes: uint64(len(enc.B)), deletes: w.deletes, lastDelete: w.lastDelete}
}

// runReader decodes a run entry by entry, checking the key order.
type runReader struct {
	id      []byte
	d       entry.Decoder
	left, i uint64
	prev    string
	cur     *Entry // the entry next returned, nil at the end
	raw     []byte // cur's encoding
	err     error
}

// openRun checks that data is the run named id and positions the reader
// on its first entry.
func openRun(id, data []byte) (*runReader, error) {
	_, body, err := checkBlob(id, data, runMagic, runVersion, runVersion)
	if err != nil {
		return nil, err
	}
	r := &runReader{id: id, d: entry.Decoder{B: body}}
	r.left = r.d.Uvarint()
	if r.left > uint64(len(r.d.B)) {
		return nil, fmt.Errorf("run %x: %w: count %d", id, ErrBadSnapshot, r.left)
	}
	r.advance()
	return r, r.err
}

// advance decodes the next entry into cur (nil at the end, or on error).
func (r *runReader) advance() {
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
	e := new(Entry)
	if err := e.UnmarshalBinary(raw); err != nil || (r.i > 0 && e.Key <= r.prev) {
		r.err = fmt.Errorf("run %x entry %d: %w", r.id, r.i, ErrBadSnapshot)
		return
	}
	r.cur, r.raw, r.prev = e, raw, e.Key
	r.left--
	r.i++
}

// decodeRun checks that data is the run named id and calls fn with its
// entries in key order, at most txnChunk at a time (the slice is reused).
func decodeRun(id, data []byte, fn func([]*Entry) error) error {
	r, err := openRun(id, data)
	if err != nil {
		return err
	}
	chunk := make([]*Entry, 0, txnChunk)
	for ; r.cur != nil; r.advance() {
		if chunk = append(chunk, r.cur); len(chunk) == txnChunk {
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
