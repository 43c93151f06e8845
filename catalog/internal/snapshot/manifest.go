package snapshot

import (
	"bytes"
	"crypto/sha256"
	"fmt"

	"github.com/d3s/d3s/catalog/internal/entry"
)

// Snapshot blobs (doc.go, "Format"): a manifest
// lists runs, immutable sorted blobs of entries, oldest first.
const (
	runMagic      = "d3s-run"
	manifestMagic = "d3s-mfst"
	// runVersion is the run format (unchanged since snapshot version 2).
	runVersion = 2
	// manifestVersion is the manifest format written: version 3 with
	// each run ID length-prefixed (IDs may carry more than the SHA-256:
	// ID). Version 3 (fixed 32-byte IDs) and 2 (no horizon, marker
	// counts unknown) still decode.
	manifestVersion = 4
	// maxManifestRuns bounds the runs a manifest may list: size-tiered
	// compaction keeps about log2(entries/MaxRecent) of them.
	maxManifestRuns = 256
	// IDLen is the length of a blob's content address (SHA-256), the
	// first bytes of every blob ID.
	IDLen = sha256.Size
	// MaxIDLen bounds a blob ID: the content address plus what the
	// blob store appends (node/catalognet: the swarm infohash).
	MaxIDLen = 64
)

// ID is a blob's content address.
func ID(data []byte) []byte {
	sum := sha256.Sum256(data)
	return sum[:]
}

// ValidID reports whether id has a blob ID's length: a content address,
// possibly followed by what the blob store appended.
func ValidID(id []byte) bool { return len(id) >= IDLen && len(id) <= MaxIDLen }

// Matches reports whether data is the blob named id: id starts with
// data's content address.
func Matches(id, data []byte) bool {
	return ValidID(id) && bytes.Equal(ID(data), id[:IDLen])
}

// SplitStored splits a blob ID followed by a manifest blob (how a store
// keeps a bucket's manifest) at the manifest's magic.
func SplitStored(val []byte) (id, data []byte, ok bool) {
	for n := IDLen; n <= MaxIDLen && n < len(val); n++ {
		if bytes.HasPrefix(val[n:], []byte(manifestMagic)) {
			return val[:n], val[n:], true
		}
	}
	return nil, nil, false
}

// checkBlob checks that data is the blob named id and starts with magic
// and a version from minVersion to maxVersion, and returns the version and
// what follows. ErrBadSnapshot, ErrUnknownVersion.
func checkBlob(id, data []byte, magic string, minVersion, maxVersion byte) (byte, []byte, error) {
	if !Matches(id, data) {
		return 0, nil, fmt.Errorf("blob %x: content does not match its ID: %w", id, ErrBadSnapshot)
	}
	if !bytes.HasPrefix(data, []byte(magic)) || len(data) == len(magic) {
		return 0, nil, fmt.Errorf("blob %x: %w: not a %s blob", id, ErrBadSnapshot, magic)
	}
	if v := data[len(magic)]; v < minVersion || v > maxVersion {
		return 0, nil, fmt.Errorf("blob %x version %d: %w", id, v, entry.ErrUnknownVersion)
	}
	return data[len(magic)], data[len(magic)+1:], nil
}

// RunRef names one run of a manifest with its size, which compaction
// reads without fetching the run, and its delete markers, from which the
// writer tells when a full compaction would drop enough expired ones.
type RunRef struct {
	ID      []byte // the run blob's ID
	Entries uint64 // entries in the run
	Bytes   uint64 // the run blob's size
	Deletes uint64 // delete markers in the run (0 when unknown: version 2)
	// LastDelete is the wall time of the run's newest delete marker: once
	// it is older than the tombstone cutoff, all deletes have expired.
	LastDelete int64
}

// Manifest is the decoded content of a manifest blob.
type Manifest struct {
	// Runs lists the runs, oldest first.
	Runs []RunRef
	// Horizon (Unix ns) is the tombstone cutoff of the last full
	// compaction: no run holds a delete marker dated before it, nor any
	// entry such a marker shadowed, so a node that merged the manifest
	// may drop those markers from its index too. 0 when none ran.
	Horizon int64
}

// Encode returns the manifest blob (manifestVersion).
func (m Manifest) Encode() []byte {
	enc := entry.Encoder{B: make([]byte, 0, len(manifestMagic)+13+len(m.Runs)*(MaxIDLen+25))}
	enc.Raw([]byte(manifestMagic))
	enc.Byte(manifestVersion)
	enc.Varint(m.Horizon)
	enc.Uvarint(uint64(len(m.Runs)))
	for _, r := range m.Runs {
		enc.Uvarint(uint64(len(r.ID)))
		enc.Raw(r.ID)
		enc.Uvarint(r.Entries)
		enc.Uvarint(r.Bytes)
		enc.Uvarint(r.Deletes)
		enc.Varint(r.LastDelete)
	}
	return enc.B
}

// Has reports whether id is the manifest's run.
func (m Manifest) Has(id []byte) bool {
	for _, r := range m.Runs {
		if bytes.Equal(r.ID, id) {
			return true
		}
	}
	return false
}

// DecodeManifest checks that data is the manifest named id and decodes it
// (version 2 to 4).
func DecodeManifest(id, data []byte) (Manifest, error) {
	v, body, err := checkBlob(id, data, manifestMagic, 2, manifestVersion)
	if err != nil {
		return Manifest{}, err
	}
	d := entry.Decoder{B: body}
	var m Manifest
	if v >= 3 {
		m.Horizon = d.Varint()
	}
	n := d.Uvarint()
	if n > maxManifestRuns {
		return Manifest{}, fmt.Errorf("Manifest %x: %w: %d runs", id, ErrBadSnapshot, n)
	}
	m.Runs = make([]RunRef, 0, n)
	for range n {
		idLen := uint64(IDLen)
		if v >= 4 {
			idLen = d.Uvarint()
		}
		if idLen < IDLen || idLen > MaxIDLen {
			return Manifest{}, fmt.Errorf("Manifest %x: %w: run ID of %d bytes", id, ErrBadSnapshot, idLen)
		}
		r := RunRef{ID: make([]byte, idLen)}
		d.Raw(r.ID)
		r.Entries, r.Bytes = d.Uvarint(), d.Uvarint()
		if v >= 3 {
			r.Deletes, r.LastDelete = d.Uvarint(), d.Varint()
		}
		m.Runs = append(m.Runs, r)
	}
	if err := d.Finish("manifest"); err != nil {
		return Manifest{}, fmt.Errorf("Manifest %x: %w: %w", id, ErrBadSnapshot, err)
	}
	return m, nil
}

// Size returns the run bytes the manifest lists, its snapshot's size.
func (m Manifest) Size() uint64 {
	var n uint64
	for _, r := range m.Runs {
		n += r.Bytes
	}
	return n
}
