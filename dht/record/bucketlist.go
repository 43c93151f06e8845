package record

import (
	"crypto/ed25519"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
)

// Key namespaces of the bucket records.
const (
	// BucketsNamespace prefixes the DHT key of every user's bucket list.
	BucketsNamespace = "/d3s/buckets/"
	// BucketNamespace prefixes the DHT key of every catalogue head.
	BucketNamespace = "/d3s/bucket/"
)

// MaxBuckets bounds the entries of one bucket list, tombstones included.
// AWS's default quota is 100 buckets per account; 1000 entries of at most
// 88 bytes keep the record under 90 KiB.
const MaxBuckets = 1000

// bucketListDomain prefixes the signed bytes of a bucket list.
const bucketListDomain = "d3s bucket list v1\x00"

// BucketsKey returns the DHT key of the bucket list of accessKeyID.
func BucketsKey(accessKeyID string) string {
	return BucketsNamespace + accessKeyID
}

// BucketListEntry is one bucket of a user's bucket list.
type BucketListEntry struct {
	// Name is the bucket name, 3–63 characters of [a-z0-9.-].
	Name string
	// Created is when the bucket was (last) created.
	Created HLC
	// Deleted is zero while the bucket exists; for a tombstone it is when
	// the bucket was deleted. Merging lists keeps, per name, the entry
	// whose latest of Created and Deleted is later.
	Deleted HLC
}

// Live reports whether the entry names an existing bucket: it was created
// after it was last deleted, if ever.
func (e BucketListEntry) Live() bool {
	return e.Deleted == (HLC{}) || e.Created.Compare(e.Deleted) > 0
}

// BucketListRecord is the signed list of one user's buckets, stored at
// BucketsKey(AccessKeyID(PublicKey)). doc.go describes its encoding.
type BucketListRecord struct {
	// Version is the format version, BucketRecordVersion.
	Version uint8
	// PublicKey is the user's Ed25519 public key; the DHT key's access key
	// ID must be derived from it.
	PublicKey ed25519.PublicKey
	// Seq orders successive lists of one user; Select keeps the highest.
	Seq uint64
	// Buckets holds the entries in strictly ascending name order.
	Buckets []BucketListEntry
	// Signature is the user key's Ed25519 signature over all fields above.
	Signature []byte
}

// Sign sorts the entries by name, sets the version and public key, and signs
// the record with the user's private key.
func (r *BucketListRecord) Sign(priv ed25519.PrivateKey) {
	r.Version = BucketRecordVersion
	r.PublicKey = priv.Public().(ed25519.PublicKey)
	slices.SortFunc(r.Buckets, func(a, b BucketListEntry) int { return strings.Compare(a.Name, b.Name) })
	r.Signature = ed25519.Sign(priv, append([]byte(bucketListDomain), r.signedBytes()...))
}

// Marshal encodes r in the wire format of doc.go.
func (r BucketListRecord) Marshal() []byte {
	return append(r.signedBytes(), r.Signature...)
}

func (r BucketListRecord) signedBytes() []byte {
	b := make([]byte, 0, 44+len(r.Buckets)*88+ed25519.SignatureSize)
	b = append(b, r.Version, RecordTypeBucketList)
	b = append(b, r.PublicKey...)
	b = binary.BigEndian.AppendUint64(b, r.Seq)
	b = binary.BigEndian.AppendUint16(b, uint16(len(r.Buckets)))
	for _, e := range r.Buckets {
		b = append(b, byte(len(e.Name)))
		b = append(b, e.Name...)
		b = appendHLC(b, e.Created)
		b = appendHLC(b, e.Deleted)
	}
	return b
}

// VerifySignature returns an error wrapping ErrBadSignature unless r is
// signed by its own public key.
func (r BucketListRecord) VerifySignature() error {
	msg := append([]byte(bucketListDomain), r.signedBytes()...)
	if len(r.PublicKey) != ed25519.PublicKeySize || !ed25519.Verify(r.PublicKey, msg, r.Signature) {
		return fmt.Errorf("bucket list: %w", ErrBadSignature)
	}
	return nil
}

// UnmarshalBucketListRecord decodes a bucket list and checks its field
// bounds; it does not verify the signature. Errors wrap ErrRecordTooLarge,
// ErrUnknownVersion, ErrWrongRecordType or ErrMalformedRecord.
func UnmarshalBucketListRecord(data []byte) (BucketListRecord, error) {
	const what = "bucket list"
	if err := checkHeader(what, data, RecordTypeBucketList); err != nil {
		return BucketListRecord{}, err
	}
	d := NewReader(data[2:])
	r := BucketListRecord{Version: data[0]}
	r.PublicKey = ed25519.PublicKey(d.Bytes(ed25519.PublicKeySize))
	r.Seq = d.U64()
	n := int(d.U16())
	if n > MaxBuckets {
		return BucketListRecord{}, fmt.Errorf("%s: %w: %d buckets, at most %d", what, ErrMalformedRecord, n, MaxBuckets)
	}
	for i := 0; i < n && !d.fail; i++ {
		e := BucketListEntry{Name: string(d.Take(int(d.U8())))}
		e.Created, e.Deleted = d.HLC(), d.HLC()
		r.Buckets = append(r.Buckets, e)
	}
	r.Signature = d.Bytes(ed25519.SignatureSize)
	if err := d.Finish(what); err != nil {
		return BucketListRecord{}, err
	}
	return r, r.checkFields()
}

// checkFields enforces the bounds of a decoded bucket list.
func (r BucketListRecord) checkFields() error {
	if r.Seq == 0 {
		return fmt.Errorf("bucket list: %w: zero sequence", ErrMalformedRecord)
	}
	for i, e := range r.Buckets {
		if !ValidBucketName(e.Name) {
			return fmt.Errorf("bucket list: %w: bad bucket name %q", ErrMalformedRecord, e.Name)
		}
		if i > 0 && r.Buckets[i-1].Name >= e.Name {
			return fmt.Errorf("bucket list: %w: names not strictly ascending at %q", ErrMalformedRecord, e.Name)
		}
	}
	return nil
}

// ValidBucketName reports whether s can name a bucket in a record: 3–63
// characters of [a-z0-9.-]. The S3 layer enforces the full naming rules;
// records only need a name that is safe inside a DHT key.
func ValidBucketName(s string) bool {
	if len(s) < 3 || len(s) > 63 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}
