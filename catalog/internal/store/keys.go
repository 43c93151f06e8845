package store

import (
	"encoding/binary"

	"github.com/d3s/d3s/catalog/internal/entry"
	"github.com/d3s/d3s/catalog/internal/snapshot"
)

// Badger key layout (all under "cat/"; see doc.go). Access keys and bucket
// names are length-prefixed so no name can be a prefix of another's key
// range; object keys follow raw so that badger's byte order is S3's order
// within a bucket; upload keys escape the object key because more bytes
// (the upload ID) follow it.
const (
	prefixBucket = "cat/b/"
	prefixObject = "cat/o/"
	// prefixUpload and prefixPart hold the node-local multipart records
	// of earlier versions, migrated into entries at start (legacy.go).
	prefixUpload = "cat/u/"
	prefixPart   = "cat/p/"
	// prefixOutbox holds acknowledged writes not yet contained in a
	// published record; prefixBase the last record merged per bucket.
	prefixOutbox = "cat/x/"
	prefixBase   = "cat/h/"
	// prefixManifest holds the snapshot manifest merged per bucket;
	// prefixGarbage the snapshot blobs no longer referenced, until they
	// are released.
	prefixManifest = "cat/m/"
	prefixGarbage  = "cat/g/"
	// prefixMark holds, per bucket, the latest time of this node's own
	// writes that left the outbox (marks.go).
	prefixMark = "cat/w/"
)

func appendLP(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// bucketsPrefix is the range of one user's bucket records; the bucket name
// follows raw so ListBuckets comes out sorted by name.
func bucketsPrefix(user string) []byte {
	return appendLP([]byte(prefixBucket), user)
}

func bucketKey(user, bucket string) []byte {
	return append(bucketsPrefix(user), bucket...)
}

// objectsPrefix is the range of one bucket's current entries.
func objectsPrefix(user, bucket string) []byte {
	b := appendLP(make([]byte, 0, len(prefixObject)+len(user)+len(bucket)+4), user)
	b = append([]byte(prefixObject), b...)
	return appendLP(b, bucket)
}

// ObjectKey is the badger key of a bucket's current entry for key
// (benchmarks load an index with it directly).
func ObjectKey(user, bucket, key string) []byte {
	return append(objectsPrefix(user, bucket), key...)
}

// uploadsPrefix is the range of one bucket's legacy multipart uploads.
func uploadsPrefix(user, bucket string) []byte {
	b := appendLP([]byte(prefixUpload), user)
	return appendLP(b, bucket)
}

// appendEscaped writes s so that escaped strings compare like the strings
// and none is a prefix of another (entry.AppendEscaped).
func appendEscaped(b []byte, s string) []byte { return entry.AppendEscaped(b, s, false) }

// unescape reverses appendEscaped, returning the string and the rest.
func unescape(b []byte) (string, []byte, bool) {
	s, rest, ok := entry.Unescape(string(b))
	return s, []byte(rest), ok
}

// uploadKeyPrefix is the range of one object key's uploads.
func uploadKeyPrefix(user, bucket, key string) []byte {
	return appendEscaped(uploadsPrefix(user, bucket), key)
}

func uploadKey(user, bucket, key, uploadID string) []byte {
	return append(uploadKeyPrefix(user, bucket, key), uploadID...)
}

// partsPrefix is the range of one legacy upload's parts.
func partsPrefix(uploadID string) []byte {
	return appendLP([]byte(prefixPart), uploadID)
}

// outboxPrefix is the range of one bucket's unpublished writes; bucket ""
// is the user's bucket list (bucket names have at least 3 bytes, so the
// ranges never overlap).
func outboxPrefix(user, bucket string) []byte {
	b := appendLP([]byte(prefixOutbox), user)
	return appendLP(b, bucket)
}

func outboxKey(user, bucket, key string) []byte {
	return append(outboxPrefix(user, bucket), key...)
}

// baseKey holds the last record merged for a bucket (or, with bucket "",
// the user's bucket list): its sequence is the highest this node has seen.
func baseKey(user, bucket string) []byte {
	b := appendLP([]byte(prefixBase), user)
	return appendLP(b, bucket)
}

// manifestKey holds the manifest of the last head merged for a bucket.
func manifestKey(user, bucket string) []byte {
	b := appendLP([]byte(prefixManifest), user)
	return appendLP(b, bucket)
}

// garbageKey holds the time a snapshot blob of a bucket stopped being
// referenced.
func garbageKey(user, bucket string, id []byte) []byte {
	b := appendLP([]byte(prefixGarbage), user)
	return append(appendLP(b, bucket), id...)
}

// splitGarbageKey returns the bucket and blob ID of a garbage key.
func splitGarbageKey(key []byte) (Key, []byte, bool) {
	user, rest, ok := readLP(key[len(prefixGarbage):])
	if !ok {
		return Key{}, nil, false
	}
	bucket, id, ok := readLP(rest)
	return Key{user, bucket}, id, ok && snapshot.ValidID(id)
}

// splitOutboxKey returns the user and bucket of an outbox key.
func splitOutboxKey(k []byte) (user, bucket string, ok bool) {
	rest := k[len(prefixOutbox):]
	user, rest, ok = readLP(rest)
	if !ok {
		return "", "", false
	}
	bucket, _, ok = readLP(rest)
	return user, bucket, ok
}

func readLP(b []byte) (string, []byte, bool) {
	n, w := binary.Uvarint(b)
	if w <= 0 || n > uint64(len(b)-w) {
		return "", nil, false
	}
	return string(b[w : w+int(n)]), b[w+int(n):], true
}
