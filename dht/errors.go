package dht

import "errors"

// Errors returned by the identity helpers, the DHT wrapper and the join
// token; record errors live in package record. Callers test them with
// errors.Is; every one is wrapped with context.
var (
	// ErrBadKeyFile: a node or network key file exists but does not hold a
	// key of the expected type and size.
	ErrBadKeyFile = errors.New("dht: bad key file")
	// ErrNotStored: Put reached peers but none of them stored the record.
	ErrNotStored = errors.New("dht: no peer stored the record")
	// ErrNotFound: no record under the key, on the network or locally.
	ErrNotFound = errors.New("dht: record not found")
	// ErrBadToken: a join token that does not parse or fails its checksum.
	ErrBadToken = errors.New("dht: bad join token")
	// ErrClosed: the DHT has been closed.
	ErrClosed = errors.New("dht: closed")
)
