package record

import (
	"cmp"
	"crypto/ed25519"
	"encoding/binary"
	"fmt"
	"slices"
)

// Bounds of a catalogue head's fields.
const (
	// MaxSnapshotIDLen bounds a snapshot ID (a content address).
	MaxSnapshotIDLen = 64
	// MaxWriterLen bounds the writer node ID (a libp2p peer ID is 38 bytes).
	MaxWriterLen = 128
	// MaxHeadEntries bounds the recent entries of one head.
	MaxHeadEntries = 65535
	// MaxFrontier bounds the marks of a head's frontier. At most
	// 1 + MaxWriterLen + 12 bytes each, a full frontier takes 141 KiB,
	// which with the catalog's 256 KiB of recent entries stays under
	// MaxBucketRecordSize; with real peer IDs (52 characters) it is 65 KiB.
	MaxFrontier = 1024
)

// Catalogue head format versions.
const (
	// CatalogHeadV1 is the first head format, without a frontier. Such
	// heads still decode and validate; their Frontier is empty.
	CatalogHeadV1 = 1
	// CatalogHeadVersion is the format Sign writes: version 1 plus the
	// per-writer frontier.
	CatalogHeadVersion = 2
)

// headDomain prefixes the signed bytes of a catalogue head of any version
// (the version byte is signed too, so versions cannot be confused).
const headDomain = "d3s catalog head v1\x00"

// CatalogHeadKey returns the DHT key of the catalogue head of bucket, owned
// by accessKeyID.
func CatalogHeadKey(accessKeyID, bucket string) string {
	return BucketNamespace + accessKeyID + "/" + bucket
}

// FrontierMark is one line of a head's frontier: the latest HLC time of
// the entries written by node Writer that the head's catalogue (snapshot
// and recent entries) has merged. A writer that finds its own mark below
// what it knows it published republishes what the head lost (the catalog
// package's partition repair).
type FrontierMark struct {
	Writer string
	Time   HLC
}

// CatalogHead is the signed head of one bucket's catalogue, stored at
// CatalogHeadKey(AccessKeyID(PublicKey), Bucket). doc.go describes its
// encoding. The entries are opaque here: the catalog package owns their
// encoding and merge.
type CatalogHead struct {
	// Version is the format version: CatalogHeadVersion once signed, or
	// CatalogHeadV1 for a head decoded from an older writer.
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
	// Frontier holds, per writer node, the latest time of its entries
	// merged into this head, in strictly ascending Writer order (Sign
	// sorts it); at most MaxFrontier marks. Always empty in version 1.
	Frontier []FrontierMark
	// Entries are the catalogue entries since the snapshot, encoded by the
	// catalog package.
	Entries [][]byte
	// Signature is the user key's Ed25519 signature over all fields above.
	Signature []byte
}

// Sign sets the version (CatalogHeadVersion) and public key, sorts the
// frontier and signs the head with the user's private key.
func (h *CatalogHead) Sign(priv ed25519.PrivateKey) {
	h.sign(priv, CatalogHeadVersion)
}

// sign signs h in format version; a version-1 head must have no frontier
// (tests sign such heads to check that old records still validate).
func (h *CatalogHead) sign(priv ed25519.PrivateKey, version uint8) {
	h.Version = version
	h.PublicKey = priv.Public().(ed25519.PublicKey)
	slices.SortFunc(h.Frontier, func(a, b FrontierMark) int { return cmp.Compare(a.Writer, b.Writer) })
	h.Signature = ed25519.Sign(priv, append([]byte(headDomain), h.signedBytes()...))
}

// Marshal encodes h in the wire format of doc.go.
func (h CatalogHead) Marshal() []byte {
	return append(h.signedBytes(), h.Signature...)
}

// hasFrontier reports whether h's format carries a frontier: every format
// but version 1 (an unsigned head counts as the current format).
func (h CatalogHead) hasFrontier() bool { return h.Version != CatalogHeadV1 }

// Size returns the length of h's encoding, so a writer can tell whether
// the head still fits MaxBucketRecordSize before signing it.
func (h CatalogHead) Size() int {
	n := 2 + ed25519.PublicKeySize + 8 + 1 + len(h.Bucket) + 12 + 1 + len(h.SnapshotID) + 1 + len(h.Writer) + 4
	if h.hasFrontier() {
		n += 2
		for _, m := range h.Frontier {
			n += 1 + len(m.Writer) + 12
		}
	}
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
	if h.hasFrontier() {
		b = binary.BigEndian.AppendUint16(b, uint16(len(h.Frontier)))
		for _, m := range h.Frontier {
			b = append(b, byte(len(m.Writer)))
			b = append(b, m.Writer...)
			b = appendHLC(b, m.Time)
		}
	}
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

// UnmarshalCatalogHead decodes a catalogue head of version 1 or 2 and
// checks its field bounds; it does not verify the signature or the time.
// Errors wrap ErrRecordTooLarge, ErrUnknownVersion, ErrWrongRecordType or
// ErrMalformedRecord.
func UnmarshalCatalogHead(data []byte) (CatalogHead, error) {
	const what = "catalog head"
	if err := checkHeaderUpTo(what, data, RecordTypeCatalogHead, CatalogHeadVersion); err != nil {
		return CatalogHead{}, err
	}
	d := NewReader(data[2:])
	h := CatalogHead{Version: data[0]}
	h.PublicKey = ed25519.PublicKey(d.Bytes(ed25519.PublicKeySize))
	h.Seq = d.U64()
	h.Bucket = string(d.Take(int(d.U8())))
	h.Time = d.HLC()
	h.SnapshotID = d.Bytes(int(d.U8()))
	h.Writer = string(d.Take(int(d.U8())))
	if h.hasFrontier() {
		n := d.U16()
		if n > MaxFrontier {
			return CatalogHead{}, fmt.Errorf("%s: %w: %d frontier marks, at most %d", what, ErrMalformedRecord, n, MaxFrontier)
		}
		for i := uint16(0); i < n && !d.fail; i++ {
			m := FrontierMark{Writer: string(d.Take(int(d.U8())))}
			m.Time = d.HLC()
			h.Frontier = append(h.Frontier, m)
		}
	}
	n := d.U32()
	if n > MaxHeadEntries {
		return CatalogHead{}, fmt.Errorf("%s: %w: %d entries, at most %d", what, ErrMalformedRecord, n, MaxHeadEntries)
	}
	for i := uint32(0); i < n && !d.fail; i++ {
		h.Entries = append(h.Entries, d.Bytes(int(d.U32())))
	}
	h.Signature = d.Bytes(ed25519.SignatureSize)
	if err := d.Finish(what); err != nil {
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
	return checkFrontier(h.Frontier)
}

// checkFrontier enforces the bounds of a decoded frontier: writers of
// 1..MaxWriterLen bytes in strictly ascending order, times after zero.
func checkFrontier(f []FrontierMark) error {
	for i, m := range f {
		switch {
		case len(m.Writer) == 0 || len(m.Writer) > MaxWriterLen:
			return fmt.Errorf("catalog head: %w: frontier writer of %d bytes", ErrMalformedRecord, len(m.Writer))
		case i > 0 && f[i-1].Writer >= m.Writer:
			return fmt.Errorf("catalog head: %w: frontier writers not strictly ascending at %q", ErrMalformedRecord, m.Writer)
		case m.Time.Wall <= 0:
			return fmt.Errorf("catalog head: %w: frontier mark of %q at zero time", ErrMalformedRecord, m.Writer)
		}
	}
	return nil
}

// FrontierOf returns writer's mark in h's frontier, zero when it has none.
func (h CatalogHead) FrontierOf(writer string) HLC {
	i, found := slices.BinarySearchFunc(h.Frontier, writer, func(m FrontierMark, w string) int { return cmp.Compare(m.Writer, w) })
	if !found {
		return HLC{}
	}
	return h.Frontier[i].Time
}
