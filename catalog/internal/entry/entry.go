package entry

import (
	"fmt"
	"sort"
)

// entryVersion is the first byte of an encoded object Entry;
// multipartVersion that of an upload or part entry, which carries its
// kind after the flags (doc.go, "Value encodings"). Nodes built before
// multipart entries existed refuse version 2 (ErrUnknownVersion), so they
// never take one for an object.
const (
	entryVersion     = 1
	multipartVersion = 2
)

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
	enc := Encoder{B: make([]byte, 0, 128+len(e.Key))}
	kind := KindOf(e.Key)
	if kind == KindObject {
		enc.Byte(entryVersion)
	} else {
		enc.Byte(multipartVersion)
	}
	var flags byte
	if e.DeleteMarker {
		flags |= flagDeleteMarker
	}
	enc.Byte(flags)
	if kind != KindObject {
		enc.Byte(byte(kind))
	}
	enc.Str(e.Key)
	enc.Str(e.VersionID)
	enc.Raw(e.InfoHash[:])
	enc.Uvarint(uint64(e.Size))
	enc.Str(e.ETag)
	enc.Raw(e.SHA256[:])
	enc.Metadata(&e.Metadata)
	enc.Str(e.Checksum.Algorithm)
	enc.Str(e.Checksum.Value)
	enc.Uvarint(uint64(e.PartsCount))
	enc.Varint(e.Time.Wall)
	enc.Uvarint(uint64(e.Time.Logical))
	enc.Str(e.Writer)
	return enc.B, nil
}

// UnmarshalBinary decodes what MarshalBinary wrote. ErrUnknownVersion,
// ErrCorrupt (also for a kind that does not match the key).
func (e *Entry) UnmarshalBinary(b []byte) error {
	d := Decoder{B: b}
	v := d.Byte()
	if d.Err == nil && v != entryVersion && v != multipartVersion {
		return fmt.Errorf("entry version %d: %w", v, ErrUnknownVersion)
	}
	flags := d.Byte()
	kind := KindObject
	if v == multipartVersion {
		kind = Kind(d.Byte())
	}
	*e = Entry{DeleteMarker: flags&flagDeleteMarker != 0}
	e.Key = d.Str()
	if d.Err == nil && KindOf(e.Key) != kind {
		d.Fail("entry kind")
	}
	e.VersionID = d.Str()
	d.Raw(e.InfoHash[:])
	e.Size = int64(d.Uvarint())
	e.ETag = d.Str()
	d.Raw(e.SHA256[:])
	d.Metadata(&e.Metadata)
	e.Checksum.Algorithm = d.Str()
	e.Checksum.Value = d.Str()
	e.PartsCount = int(d.Uvarint())
	e.Time.Wall = d.Varint()
	e.Time.Logical = uint32(d.Uvarint())
	e.Writer = d.Str()
	return d.Finish("entry")
}

// Metadata appends m, user metadata sorted by name.
func (enc *Encoder) Metadata(m *Metadata) {
	enc.Str(m.ContentType)
	enc.Str(m.ContentEncoding)
	enc.Str(m.ContentDisposition)
	enc.Str(m.ContentLanguage)
	enc.Str(m.CacheControl)
	enc.Str(m.Expires)
	names := make([]string, 0, len(m.User))
	for k := range m.User {
		names = append(names, k)
	}
	sort.Strings(names)
	enc.Uvarint(uint64(len(names)))
	for _, k := range names {
		enc.Str(k)
		enc.Str(m.User[k])
	}
}

// Metadata reads what Encoder.Metadata wrote into m.
func (d *Decoder) Metadata(m *Metadata) {
	m.ContentType = d.Str()
	m.ContentEncoding = d.Str()
	m.ContentDisposition = d.Str()
	m.ContentLanguage = d.Str()
	m.CacheControl = d.Str()
	m.Expires = d.Str()
	n := d.Uvarint()
	if n > uint64(len(d.B)) { // each pair takes at least two bytes
		d.Fail("user metadata count")
		return
	}
	if n == 0 {
		return
	}
	m.User = make(map[string]string, n)
	for i := uint64(0); i < n && d.Err == nil; i++ {
		k := d.Str()
		m.User[k] = d.Str()
	}
}

// IsMarker reports whether an encoded entry is a delete marker without
// decoding it (the flags byte follows the version byte).
func IsMarker(val []byte) bool {
	return len(val) > 1 && val[1]&flagDeleteMarker != 0
}
