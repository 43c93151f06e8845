package record

import (
	"crypto/ed25519"
	"encoding/binary"
	"fmt"
	"time"
)

// User record format versions.
const (
	// UserRecordV1 is the first format, without change time and flags;
	// such records still decode and validate, as active users.
	UserRecordV1 = 1
	// UserRecordVersion is the format this package writes: version 1 plus
	// the time of the change and the revoked flag.
	UserRecordVersion = 2
)

// flagRevoked marks a removed user's record (the only flag defined).
const flagRevoked = 1

// MaxUserRecordSize bounds an encoded user record. A version-2 record is at
// most 289 bytes; the slack leaves room for later versions.
const MaxUserRecordSize = 4 << 10

// signDomain prefixes the signed bytes so that a user record signature can
// never be replayed as a signature over anything else.
const signDomain = "d3s user record v1\x00"

// UserRecord is the signed credential record of one user, stored in the
// DHT at UserKey(AccessKeyID(PublicKey)). doc.go describes its encoding.
type UserRecord struct {
	// Version is the format version, UserRecordVersion.
	Version uint8
	// Name is the user's display name, 1–64 characters of [A-Za-z0-9._@-].
	Name string
	// PublicKey is the user's Ed25519 public key; the access key ID is
	// derived from it.
	PublicKey ed25519.PublicKey
	// Created is when the user was created.
	Created time.Time
	// Seq orders successive records of one user; Select keeps the highest
	// (after revocation, which is final: see SelectUserRecord).
	Seq uint64
	// Changed is when this version of the record was made (creation,
	// rotation or removal); a version-1 record has Changed == Created.
	Changed time.Time
	// Revoked marks a removed user: its keys are refused everywhere, and
	// no later record of the user can undo it.
	Revoked bool
	// Sealed holds the secret access key and the user's private key,
	// sealed with a key derived from the network key (see Open).
	Sealed []byte
	// Signature is the user key's Ed25519 signature over all fields above.
	Signature []byte
}

// AccessKeyID returns the access key ID of the record's user.
func (r UserRecord) AccessKeyID() string {
	return AccessKeyID(r.PublicKey)
}

// Marshal encodes r in the wire format of doc.go.
func (r UserRecord) Marshal() []byte {
	return append(r.signedBytes(), r.Signature...)
}

// signedBytes encodes every field but the signature.
func (r UserRecord) signedBytes() []byte {
	b := make([]byte, 0, 2+len(r.Name)+len(r.PublicKey)+18+len(r.Sealed)+ed25519.SignatureSize)
	b = append(b, r.Version, byte(len(r.Name)))
	b = append(b, r.Name...)
	b = append(b, r.PublicKey...)
	b = binary.BigEndian.AppendUint64(b, uint64(r.Created.UnixNano()))
	b = binary.BigEndian.AppendUint64(b, r.Seq)
	if r.Version >= UserRecordVersion {
		b = binary.BigEndian.AppendUint64(b, uint64(r.Changed.UnixNano()))
		b = append(b, r.flags())
	}
	b = binary.BigEndian.AppendUint16(b, uint16(len(r.Sealed)))
	return append(b, r.Sealed...)
}

// flags encodes the record's flag byte.
func (r UserRecord) flags() byte {
	if r.Revoked {
		return flagRevoked
	}
	return 0
}

// signedMessage is what the signature covers: the domain string, then the
// encoded fields.
func (r UserRecord) signedMessage() []byte {
	return append([]byte(signDomain), r.signedBytes()...)
}

func (r *UserRecord) sign(priv ed25519.PrivateKey) {
	r.Signature = ed25519.Sign(priv, r.signedMessage())
}

// VerifySignature returns an error wrapping ErrBadSignature unless r is
// signed by its own public key.
func (r UserRecord) VerifySignature() error {
	if len(r.PublicKey) != ed25519.PublicKeySize || !ed25519.Verify(r.PublicKey, r.signedMessage(), r.Signature) {
		return fmt.Errorf("user record %q: %w", r.Name, ErrBadSignature)
	}
	return nil
}

// UnmarshalUserRecord decodes a record and checks its field bounds; it does
// not verify the signature (ValidateUserRecord does). Errors wrap
// ErrRecordTooLarge, ErrUnknownVersion, ErrMalformedRecord or
// ErrInvalidUserName.
func UnmarshalUserRecord(data []byte) (UserRecord, error) {
	if len(data) > MaxUserRecordSize {
		return UserRecord{}, fmt.Errorf("user record of %d bytes: %w", len(data), ErrRecordTooLarge)
	}
	if len(data) == 0 {
		return UserRecord{}, fmt.Errorf("user record: %w: empty", ErrMalformedRecord)
	}
	if data[0] != UserRecordV1 && data[0] != UserRecordVersion {
		return UserRecord{}, fmt.Errorf("user record version %d: %w", data[0], ErrUnknownVersion)
	}
	d := decoder{buf: data[1:]}
	r := UserRecord{Version: data[0]}
	r.Name = string(d.next(int(d.next(1)[0])))
	r.PublicKey = ed25519.PublicKey(d.clone(ed25519.PublicKeySize))
	r.Created = time.Unix(0, int64(binary.BigEndian.Uint64(d.next(8)))).UTC()
	r.Seq = binary.BigEndian.Uint64(d.next(8))
	r.Changed = r.Created
	flags := byte(0)
	if r.Version >= UserRecordVersion {
		r.Changed = time.Unix(0, int64(binary.BigEndian.Uint64(d.next(8)))).UTC()
		flags = d.next(1)[0]
	}
	r.Revoked = flags&flagRevoked != 0
	r.Sealed = d.clone(int(binary.BigEndian.Uint16(d.next(2))))
	r.Signature = d.clone(ed25519.SignatureSize)
	if err := d.finish(); err != nil {
		return UserRecord{}, err
	}
	if flags&^flagRevoked != 0 {
		return UserRecord{}, fmt.Errorf("user record: %w: unknown flags %#x", ErrMalformedRecord, flags)
	}
	return r, r.checkFields()
}

// checkFields enforces the bounds of a decoded record.
func (r UserRecord) checkFields() error {
	if err := ValidateUserName(r.Name); err != nil {
		return fmt.Errorf("user record: %w", err)
	}
	if len(r.Sealed) != SealedSize {
		return fmt.Errorf("user record: %w: sealed secret of %d bytes, want %d", ErrMalformedRecord, len(r.Sealed), SealedSize)
	}
	if r.Created.UnixNano() <= 0 || r.Seq == 0 {
		return fmt.Errorf("user record: %w: zero creation time or sequence", ErrMalformedRecord)
	}
	if r.Changed.Before(r.Created) {
		return fmt.Errorf("user record: %w: changed before created", ErrMalformedRecord)
	}
	return nil
}

// decoder reads fixed-size fields. After a short read every further read
// returns zeroes, and finish reports the record as truncated, so decoding
// code stays straight-line.
type decoder struct {
	buf  []byte
	fail bool
}

// zero backs the reads past the end; no field is longer.
var zero [1 << 16]byte

func (d *decoder) next(n int) []byte {
	if d.fail || n > len(d.buf) {
		d.fail = true
		return zero[:n]
	}
	b := d.buf[:n]
	d.buf = d.buf[n:]
	return b
}

// clone is next with a copy, so a record does not alias its input.
func (d *decoder) clone(n int) []byte {
	return append([]byte(nil), d.next(n)...)
}

func (d *decoder) finish() error {
	if d.fail {
		return fmt.Errorf("user record: %w: truncated", ErrMalformedRecord)
	}
	if len(d.buf) != 0 {
		return fmt.Errorf("user record: %w: %d trailing bytes", ErrMalformedRecord, len(d.buf))
	}
	return nil
}
