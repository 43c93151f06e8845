package record

import "errors"

// Errors returned by the record codecs, Open, the validators and any store
// of D3S records. Callers test them with errors.Is; every one is wrapped
// with context.
var (
	// ErrRecordTooLarge: a record exceeds MaxUserRecordSize or
	// MaxBucketRecordSize.
	ErrRecordTooLarge = errors.New("record: record too large")
	// ErrMalformedRecord: a record that does not parse (truncated, trailing
	// bytes, a field out of its bounds).
	ErrMalformedRecord = errors.New("record: malformed record")
	// ErrUnknownVersion: a record whose version byte this node does not know.
	ErrUnknownVersion = errors.New("record: unknown record version")
	// ErrWrongRecordType: a record whose type byte is not the one its key's
	// namespace holds (a bucket list under a catalogue head key, …).
	ErrWrongRecordType = errors.New("record: wrong record type")
	// ErrBadSignature: the record's signature does not verify under its
	// public key.
	ErrBadSignature = errors.New("record: bad record signature")
	// ErrBadRecordKey: the DHT key is not in the record's namespace or does
	// not name a well-formed access key ID.
	ErrBadRecordKey = errors.New("record: bad record key")
	// ErrAccessKeyMismatch: the access key ID in the DHT key is not the one
	// derived from the record's public key, so the record is not the key
	// owner's.
	ErrAccessKeyMismatch = errors.New("record: access key does not match public key")
	// ErrBucketMismatch: the bucket named in the DHT key is not the one the
	// catalogue head describes.
	ErrBucketMismatch = errors.New("record: bucket name does not match record key")
	// ErrFutureRecord: a catalogue head whose HLC time lies further in the
	// future than MaxClockSkew.
	ErrFutureRecord = errors.New("record: record dated in the future")
	// ErrInvalidUserName: a user name outside 1–64 characters of
	// [A-Za-z0-9._@-].
	ErrInvalidUserName = errors.New("record: invalid user name")
	// ErrSealOpen: the sealed secret cannot be opened, most often because
	// the network key is not the one the record was sealed with.
	ErrSealOpen = errors.New("record: cannot open sealed secret")
	// ErrNoRecords: Select was given no records to choose from.
	ErrNoRecords = errors.New("record: no records to select from")
	// ErrStaleRecord: a record older than one a store (the DHT, or a test's
	// offline store) has already seen or holds for the same key, by
	// Select's order: a replay, or a writer that lost a race.
	ErrStaleRecord = errors.New("record: record older than one already seen")
	// ErrRevoked: the user was removed; its record cannot change any more.
	ErrRevoked = errors.New("record: user was removed")
)
