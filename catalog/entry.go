package catalog

import (
	"fmt"
	"sort"
)

// entryVersion is the first byte of an encoded Entry (see doc.go).
const entryVersion = 1

// flagDeleteMarker marks an entry that records a deletion.
const flagDeleteMarker = 1 << 0

// Metadata is the client-supplied metadata of an object version.
type Metadata struct {
	ContentType        string
	ContentEncoding    string
	ContentDisposition string
	ContentLanguage    string
	CacheControl       string
	Expires            string
	// User holds x-amz-meta-* values by lower-case name without the prefix.
	User map[string]string
}

// Checksum is an additional checksum of an object or part as the client
// sent it (algorithm name and base64 value).
type Checksum struct {
	Algorithm string
	Value     string
}

// Entry is one object version in a bucket index. Entries are immutable; a
// newer entry for the same key replaces the older one, ordered by
// (Time, Writer).
type Entry struct {
	Key          string
	VersionID    string
	InfoHash     [20]byte // the swarm ID holding the bytes
	Size         int64
	ETag         string // unquoted
	SHA256       [32]byte
	Metadata     Metadata
	Checksum     Checksum
	PartsCount   int
	Time         Time
	Writer       string // ID of the node that wrote the entry
	DeleteMarker bool
}

// Newer reports whether e wins over o under last-writer-wins: later Time,
// then greater Writer.
func (e *Entry) Newer(o *Entry) bool {
	if c := e.Time.Compare(o.Time); c != 0 {
		return c > 0
	}
	return e.Writer > o.Writer
}

// MarshalBinary encodes e deterministically: user metadata is written in
// name order.
func (e *Entry) MarshalBinary() ([]byte, error) {
	enc := encoder{b: make([]byte, 0, 128+len(e.Key))}
	enc.byte1(entryVersion)
	var flags byte
	if e.DeleteMarker {
		flags |= flagDeleteMarker
	}
	enc.byte1(flags)
	enc.str(e.Key)
	enc.str(e.VersionID)
	enc.raw(e.InfoHash[:])
	enc.uvarint(uint64(e.Size))
	enc.str(e.ETag)
	enc.raw(e.SHA256[:])
	encodeMetadata(&enc, &e.Metadata)
	enc.str(e.Checksum.Algorithm)
	enc.str(e.Checksum.Value)
	enc.uvarint(uint64(e.PartsCount))
	enc.varint(e.Time.Wall)
	enc.uvarint(uint64(e.Time.Logical))
	enc.str(e.Writer)
	return enc.b, nil
}

// UnmarshalBinary decodes what MarshalBinary wrote. ErrUnknownVersion,
// ErrCorrupt.
func (e *Entry) UnmarshalBinary(b []byte) error {
	d := decoder{b: b}
	if v := d.byte1(); d.err == nil && v != entryVersion {
		return fmt.Errorf("entry version %d: %w", v, ErrUnknownVersion)
	}
	flags := d.byte1()
	*e = Entry{DeleteMarker: flags&flagDeleteMarker != 0}
	e.Key = d.str()
	e.VersionID = d.str()
	d.raw(e.InfoHash[:])
	e.Size = int64(d.uvarint())
	e.ETag = d.str()
	d.raw(e.SHA256[:])
	decodeMetadata(&d, &e.Metadata)
	e.Checksum.Algorithm = d.str()
	e.Checksum.Value = d.str()
	e.PartsCount = int(d.uvarint())
	e.Time.Wall = d.varint()
	e.Time.Logical = uint32(d.uvarint())
	e.Writer = d.str()
	return d.finish("entry")
}

func encodeMetadata(enc *encoder, m *Metadata) {
	enc.str(m.ContentType)
	enc.str(m.ContentEncoding)
	enc.str(m.ContentDisposition)
	enc.str(m.ContentLanguage)
	enc.str(m.CacheControl)
	enc.str(m.Expires)
	names := make([]string, 0, len(m.User))
	for k := range m.User {
		names = append(names, k)
	}
	sort.Strings(names)
	enc.uvarint(uint64(len(names)))
	for _, k := range names {
		enc.str(k)
		enc.str(m.User[k])
	}
}

func decodeMetadata(d *decoder, m *Metadata) {
	m.ContentType = d.str()
	m.ContentEncoding = d.str()
	m.ContentDisposition = d.str()
	m.ContentLanguage = d.str()
	m.CacheControl = d.str()
	m.Expires = d.str()
	n := d.uvarint()
	if n > uint64(len(d.b)) { // each pair takes at least two bytes
		d.fail("user metadata count")
		return
	}
	if n == 0 {
		return
	}
	m.User = make(map[string]string, n)
	for i := uint64(0); i < n && d.err == nil; i++ {
		k := d.str()
		m.User[k] = d.str()
	}
}
