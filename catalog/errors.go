package catalog

import (
	"errors"
	"fmt"

	"github.com/d3s/d3s/catalog/internal/entry"
	"github.com/d3s/d3s/catalog/internal/snapshot"
	"github.com/d3s/d3s/catalog/internal/store"
)

// Errors returned by the catalog. Callers test them with errors.Is; the
// node translates them to S3 error codes in one table.
var (
	// ErrNoSuchBucket: the user has no bucket of that name.
	ErrNoSuchBucket = store.ErrNoSuchBucket
	// ErrBucketExists: CreateBucket of a bucket the user already has.
	ErrBucketExists = store.ErrBucketExists
	// ErrBucketNotEmpty: DeleteBucket of a bucket holding objects or uploads.
	ErrBucketNotEmpty = store.ErrBucketNotEmpty
	// ErrNotFound: the bucket has no current entry for the key.
	ErrNotFound = store.ErrNotFound
	// ErrNoSuchUpload: no multipart upload with that ID for that key.
	ErrNoSuchUpload = store.ErrNoSuchUpload
	// ErrCorrupt: a stored record does not decode.
	ErrCorrupt = entry.ErrCorrupt
	// ErrUnknownVersion: a stored record has an encoding version this
	// build does not know.
	ErrUnknownVersion = entry.ErrUnknownVersion
	// ErrNoRecord: Records.GetRecord found no record under the key.
	// Implementations of Records wrap it.
	ErrNoRecord = errors.New("catalog: no record")
	// ErrBadSnapshot: a snapshot blob whose content does not match its ID
	// or does not decode.
	ErrBadSnapshot = snapshot.ErrBadSnapshot
	// ErrLostRace: a published record was displaced by another writer's;
	// the publisher merges it and publishes again.
	ErrLostRace = errors.New("catalog: another writer's record won")
	// ErrUnavailable: the bucket's index on this node may lack keys that
	// exist: the newest head seen could not be merged (the blobs it
	// points to cannot be fetched now), or the bucket was never merged
	// here and the network did not answer. The read may be retried.
	ErrUnavailable = errors.New("catalog: bucket index unavailable")
	// ErrConflict: a transaction kept conflicting with concurrent ones
	// through every retry; the operation did not happen and may be
	// retried.
	ErrConflict = store.ErrConflict
	// ErrNoQuorum: in strong mode, a majority of the network's members
	// did not answer in time (a partition, or too many members down):
	// nothing this node could answer is known to be current. It wraps
	// ErrUnavailable (503 with Retry-After).
	ErrNoQuorum = fmt.Errorf("catalog: no quorum of members answered: %w", ErrUnavailable)
	// ErrLeaseHeld: Quorum.Lease found the key leased by another node.
	ErrLeaseHeld = errors.New("catalog: key leased by another node")
)
