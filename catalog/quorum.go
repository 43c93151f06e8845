package catalog

import (
	"context"
	"time"
)

// Quorum is the record store of strong mode (SyncConfig.Quorum): the
// catalogue's signed records (bucket heads, bucket lists) kept by every
// member of the network, each member replacing its copy only by a record
// whose writer had merged it (compare-and-swap), so that a record
// accepted by a majority stays contained in whatever those members hold
// later, and any majority read finds it (node/quorum implements it over
// libp2p).
type Quorum interface {
	// GetRecords returns the distinct records held under key by a
	// majority of the members (a member holding none adds nothing; none
	// at all is an empty result and a nil error). known lists records
	// the caller already holds: a member holding one of them need not
	// send it again, and it is returned like any other. An error wraps
	// ErrNoQuorum when no majority answered in time.
	GetRecords(ctx context.Context, key string, known [][]byte) ([][]byte, error)
	// SwapRecord asks every member to store value under key, each only
	// in place of a record in over (a nil or empty element: in place of
	// none), and only if value is better than the record it replaces
	// (record.Validator's Select). It returns nil once a majority
	// stored it (durably). When members refused so that no majority is
	// possible, the error wraps ErrLostRace and current holds the
	// distinct records those members hold (to merge before trying
	// again); when too few answered, it wraps ErrNoQuorum.
	SwapRecord(ctx context.Context, key string, value []byte, over [][]byte) (current [][]byte, err error)
	// Lease takes an exclusive lease on name (a key of its own, not a
	// record key) from a majority of the members, for at most ttl; the
	// release func gives it back early. Another node's live lease on a
	// majority's copies makes it fail with an error wrapping
	// ErrLeaseHeld (the caller may retry after a pause); too few answers,
	// ErrNoQuorum. Two leases on one name are never held at once by
	// different callers while their ttl runs.
	Lease(ctx context.Context, name string, ttl time.Duration) (release func(), err error)
}
