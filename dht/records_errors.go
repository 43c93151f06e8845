package dht

import "errors"

// Errors returned by the bucket record codecs, the validator, the DHT
// wrapper and the join token. Callers test them with errors.Is; every one
// is wrapped with context.
var (
	// ErrWrongRecordType: a record whose type byte is not the one its key's
	// namespace holds (a bucket list under a catalogue head key, …).
	ErrWrongRecordType = errors.New("dht: wrong record type")
	// ErrBucketMismatch: the bucket named in the DHT key is not the one the
	// catalogue head describes.
	ErrBucketMismatch = errors.New("dht: bucket name does not match record key")
	// ErrFutureRecord: a catalogue head whose HLC time lies further in the
	// future than MaxClockSkew.
	ErrFutureRecord = errors.New("dht: record dated in the future")
	// ErrStaleRecord: a record older than one this node has already seen or
	// holds for the same key (a replay, or a writer that lost a race).
	ErrStaleRecord = errors.New("dht: record older than one already seen")
	// ErrNotStored: Put reached peers but none of them stored the record.
	ErrNotStored = errors.New("dht: no peer stored the record")
	// ErrNotFound: no record under the key, on the network or locally.
	ErrNotFound = errors.New("dht: record not found")
	// ErrBadToken: a join token that does not parse or fails its checksum.
	ErrBadToken = errors.New("dht: bad join token")
	// ErrClosed: the DHT has been closed.
	ErrClosed = errors.New("dht: closed")
)
