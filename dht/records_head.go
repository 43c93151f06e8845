package dht

import (
	"crypto/ed25519"
	"encoding/binary"
	"fmt"
)

// Bounds of a catalogue head's fields.
const (
	// MaxSnapshotIDLen bounds a snapshot ID (a content address).
	MaxSnapshotIDLen = 64
	// MaxWriterLen bounds the writer node ID (a libp2p peer ID is 38 bytes).
	MaxWriterLen = 128
	// MaxHeadEntries bounds the recent entries of one head.
	MaxHeadEntries = 65535
)

// headDomain prefixes the signed bytes of a catalogue head.
const headDomain = "d3s catalog head v1\x00"

// CatalogHeadKey returns the DHT key of the catalogue head of bucket, owned
// by accessKeyID.
func CatalogHeadKey(accessKeyID, bucket string) string {
	return BucketNamespace + accessKeyID + "/" + bucket
}

// CatalogHead is the signed head of one bucket's catalogue, stored at
// CatalogHeadKey(AccessKeyID(PublicKey), Bucket). doc.go describes its
// encoding. The entries are opaque here: the catalog package owns their
// encoding and merge.
type CatalogHead struct {
	// Version is the format version, BucketRecordVersion.
	Version uint8
	// PublicKey is the owning user's Ed25519 public key.
	PublicKey ed25519.PublicKey
	// Seq orders successive heads of one bucket; Select keeps the highest.
	Seq uint64
	// Bucket is the bucket's name; it must match the DHT key.
	Bucket string
	// Time is the writer's HLC time when it published the head; validators
	// reject a head more than MaxClockSkew in the future.
	Time HLC
	// SnapshotID names the bucket's snapshot manifest (a content address;
	// catalog/doc.go describes the runs it lists); empty while the bucket
	// has none.
	SnapshotID []byte
	// Writer is the ID of the node that published the head.
	Writer string
	// Entries are the catalogue entries since the snapshot, encoded by the
	// catalog package.
	Entries [][]byte
	// Signature is the user key's Ed25519 signature over all fields above.
	Signature []byte
}

// Sign sets the version and public key and signs the head with the user's
// private key.
func (h *CatalogHead) Sign(priv ed25519.PrivateKey) {
	h.Version = BucketRecordVersion
	h.PublicKey = priv.Public().(ed25519.PublicKey)
	h.Signature = ed25519.Sign(priv, append([]byte(headDomain), h.signedBytes()...))
}

// Marshal encodes h in the wire format of doc.go.
func (h CatalogHead) Marshal() []byte {
	return append(h.signedBytes(), h.Signature...)
}

// Size returns the length of h's encoding, so a writer can tell whether
// the head still fits MaxBucketRecordSize before signing it.
func (h CatalogHead) Size() int {
	n := 2 + ed25519.PublicKeySize + 8 + 1 + len(h.Bucket) + 12 + 1 + len(h.SnapshotID) + 1 + len(h.Writer) + 4
	for _, e := range h.Entries {
		n += 4 + len(e)
	}
	return n + ed25519.SignatureSize
}

func (h CatalogHead) signedBytes() []byte {
	b := make([]byte, 0, h.Size())
	b = append(b, h.Version, RecordTypeCatalogHead)
	b = append(b, h.PublicKey...)
	b = binary.BigEndian.AppendUint64(b, h.Seq)
	b = append(b, byte(len(h.Bucket)))
	b = append(b, h.Bucket...)
	b = appendHLC(b, h.Time)
	b = append(b, byte(len(h.SnapshotID)))
	b = append(b, h.SnapshotID...)
	b = append(b, byte(len(h.Writer)))
	b = append(b, h.Writer...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(h.Entries)))
	for _, e := range h.Entries {
		b = binary.BigEndian.AppendUint32(b, uint32(len(e)))
		b = append(b, e...)
	}
	return b
}

// VerifySignature returns an error wrapping ErrBadSignature unless h is
// signed by its own public key.
func (h CatalogHead) VerifySignature() error {
	msg := append([]byte(headDomain), h.signedBytes()...)
	if len(h.PublicKey) != ed25519.PublicKeySize || !ed25519.Verify(h.PublicKey, msg, h.Signature) {
		return fmt.Errorf("catalog head %q: %w", h.Bucket, ErrBadSignature)
	}
	return nil
}

// UnmarshalCatalogHead decodes a catalogue head and checks its field bounds;
// it does not verify the signature or the time. Errors wrap
// ErrRecordTooLarge, ErrUnknownVersion, ErrWrongRecordType or
// ErrMalformedRecord.
func UnmarshalCatalogHead(data []byte) (CatalogHead, error) {
	const what = "catalog head"
	if err := checkHeader(what, data, RecordTypeCatalogHead); err != nil {
		return CatalogHead{}, err
	}
	d := reader{buf: data[2:]}
	h := CatalogHead{Version: data[0]}
	h.PublicKey = ed25519.PublicKey(d.bytes(ed25519.PublicKeySize))
	h.Seq = d.u64()
	h.Bucket = string(d.take(int(d.u8())))
	h.Time = d.hlc()
	h.SnapshotID = d.bytes(int(d.u8()))
	h.Writer = string(d.take(int(d.u8())))
	n := d.u32()
	if n > MaxHeadEntries {
		return CatalogHead{}, fmt.Errorf("%s: %w: %d entries, at most %d", what, ErrMalformedRecord, n, MaxHeadEntries)
	}
	for i := uint32(0); i < n && !d.fail; i++ {
		h.Entries = append(h.Entries, d.bytes(int(d.u32())))
	}
	h.Signature = d.bytes(ed25519.SignatureSize)
	if err := d.finish(what); err != nil {
		return CatalogHead{}, err
	}
	return h, h.checkFields()
}

// checkFields enforces the bounds of a decoded head.
func (h CatalogHead) checkFields() error {
	switch {
	case h.Seq == 0:
		return fmt.Errorf("catalog head: %w: zero sequence", ErrMalformedRecord)
	case !ValidBucketName(h.Bucket):
		return fmt.Errorf("catalog head: %w: bad bucket name %q", ErrMalformedRecord, h.Bucket)
	case len(h.SnapshotID) > MaxSnapshotIDLen:
		return fmt.Errorf("catalog head: %w: snapshot ID of %d bytes", ErrMalformedRecord, len(h.SnapshotID))
	case len(h.Writer) == 0 || len(h.Writer) > MaxWriterLen:
		return fmt.Errorf("catalog head: %w: writer of %d bytes", ErrMalformedRecord, len(h.Writer))
	case h.Time.Wall <= 0:
		return fmt.Errorf("catalog head: %w: zero time", ErrMalformedRecord)
	}
	return nil
}
