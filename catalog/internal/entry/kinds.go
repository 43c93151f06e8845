package entry

import (
	"encoding/binary"
	"strings"
)

// Kind says what an entry describes; it follows from the entry's key.
type Kind byte

// The kinds of entries in a bucket's key space.
const (
	// KindObject is an object version (or its delete marker).
	KindObject Kind = iota
	// KindUpload is a multipart upload in progress, keyed by UploadKey.
	KindUpload
	// KindPart is an uploaded part of a multipart upload, keyed by
	// PartKey.
	KindPart
)

// Reserved key prefixes of multipart entries. Object keys are valid UTF-8
// (package s3 refuses others), in which the byte 0xff never occurs, so no
// object key starts with one of these, and they sort after every object
// key of the bucket.
const (
	// Reserved is the first byte of every key that is not an object's.
	Reserved     = "\xff"
	uploadPrefix = Reserved + "u"
	partPrefix   = Reserved + "p"
)

// KindOf returns the kind of the entry stored under key.
func KindOf(key string) Kind {
	switch {
	case strings.HasPrefix(key, uploadPrefix):
		return KindUpload
	case strings.HasPrefix(key, partPrefix):
		return KindPart
	}
	return KindObject
}

// AppendEscaped appends s so that escaped strings compare like the
// strings and none is a prefix of another: 0x00 becomes 0x00 0xff, and the
// string ends with 0x00 0x01 unless open (a prefix of longer keys). The
// local store's keys use it too.
func AppendEscaped(b []byte, s string, open bool) []byte {
	for {
		i := strings.IndexByte(s, 0)
		if i < 0 {
			break
		}
		b = append(b, s[:i]...)
		b = append(b, 0x00, 0xff)
		s = s[i+1:]
	}
	b = append(b, s...)
	if open {
		return b
	}
	return append(b, 0x00, 0x01)
}

// Unescape reverses AppendEscaped (not open), returning the string and
// the rest.
func Unescape(b string) (string, string, bool) {
	var out []byte
	for i := 0; i+1 < len(b); i++ {
		if b[i] != 0 {
			continue
		}
		out = append(out, b[:i]...)
		switch b[i+1] {
		case 0x01:
			return string(out), b[i+2:], true
		case 0xff:
			out = append(out, 0)
			b = b[i+2:]
			i = -1
		default:
			return "", "", false
		}
	}
	return "", "", false
}

// UploadKey is the key of the entry of upload id of object key: uploads
// sort by object key, then by ID (whose order is initiation order), as
// ListMultipartUploads lists them.
func UploadKey(key, id string) string {
	return string(AppendEscaped([]byte(uploadPrefix), key, false)) + id
}

// UploadKeyPrefix is the range of the upload entries whose object keys
// start with prefix.
func UploadKeyPrefix(prefix string) string {
	return string(AppendEscaped([]byte(uploadPrefix), prefix, true))
}

// ParseUploadKey returns the object key and upload ID of an upload
// entry's key.
func ParseUploadKey(k string) (key, id string, ok bool) {
	if KindOf(k) != KindUpload {
		return "", "", false
	}
	return Unescape(k[len(uploadPrefix):])
}

// PartKey is the key of the entry of part number of upload id: an
// upload's parts sort by number.
func PartKey(id string, number int) string {
	return string(binary.BigEndian.AppendUint16([]byte(PartsPrefix(id)), uint16(number)))
}

// PartsPrefix is the range of upload id's part entries.
func PartsPrefix(id string) string {
	return string(AppendEscaped([]byte(partPrefix), id, false))
}

// ParsePartKey returns the upload ID and part number of a part entry's
// key.
func ParsePartKey(k string) (id string, number int, ok bool) {
	if KindOf(k) != KindPart {
		return "", 0, false
	}
	id, rest, ok := Unescape(k[len(partPrefix):])
	if !ok || len(rest) != 2 {
		return "", 0, false
	}
	return id, int(binary.BigEndian.Uint16([]byte(rest))), true
}
