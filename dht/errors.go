package dht

import "errors"

// Errors returned by the identity helpers and the user record codec and
// validator. Callers test them with errors.Is; every one is wrapped with
// context.
var (
	// ErrBadKeyFile: a node or network key file exists but does not hold a
	// key of the expected type and size.
	ErrBadKeyFile = errors.New("dht: bad key file")
	// ErrRecordTooLarge: a record exceeds MaxUserRecordSize.
	ErrRecordTooLarge = errors.New("dht: record too large")
	// ErrMalformedRecord: a record that does not parse (truncated, trailing
	// bytes, a field out of its bounds).
	ErrMalformedRecord = errors.New("dht: malformed record")
	// ErrUnknownVersion: a record whose version byte this node does not know.
	ErrUnknownVersion = errors.New("dht: unknown record version")
	// ErrBadSignature: the record's signature does not verify under its
	// public key.
	ErrBadSignature = errors.New("dht: bad record signature")
	// ErrBadRecordKey: the DHT key is not in the record's namespace or does
	// not name a well-formed access key ID.
	ErrBadRecordKey = errors.New("dht: bad record key")
	// ErrAccessKeyMismatch: the access key ID in the DHT key is not the one
	// derived from the record's public key, so the record is not the key
	// owner's.
	ErrAccessKeyMismatch = errors.New("dht: access key does not match public key")
	// ErrInvalidUserName: a user name outside 1–64 characters of
	// [A-Za-z0-9._@-].
	ErrInvalidUserName = errors.New("dht: invalid user name")
	// ErrSealOpen: the sealed secret cannot be opened, most often because
	// the network key is not the one the record was sealed with.
	ErrSealOpen = errors.New("dht: cannot open sealed secret")
	// ErrNoRecords: Select was given no records to choose from.
	ErrNoRecords = errors.New("dht: no records to select from")
)
