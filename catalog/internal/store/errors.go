package store

import "errors"

// Errors returned by the store; package catalog exports them under the
// same names.
var (
	// ErrNoSuchBucket: the user has no bucket of that name.
	ErrNoSuchBucket = errors.New("catalog: no such bucket")
	// ErrBucketExists: CreateBucket of a bucket the user already has.
	ErrBucketExists = errors.New("catalog: bucket exists")
	// ErrBucketNotEmpty: DeleteBucket of a bucket holding objects or uploads.
	ErrBucketNotEmpty = errors.New("catalog: bucket not empty")
	// ErrNotFound: the bucket has no current entry for the key.
	ErrNotFound = errors.New("catalog: key not found")
	// ErrNoSuchUpload: no multipart upload with that ID for that key.
	ErrNoSuchUpload = errors.New("catalog: no such upload")
	// ErrConflict: a transaction kept conflicting with concurrent ones
	// through every retry; the operation did not happen and may be
	// retried.
	ErrConflict = errors.New("catalog: transaction kept conflicting")
)
