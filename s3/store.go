package s3

import (
	"context"
	"io"
	"time"
)

// User is an authenticated S3 principal. Each user has a private bucket
// namespace: two users may both own a bucket called "photos".
type User struct {
	AccessKeyID string
	Name        string
}

// Credentials finds the secret of an access key so that requests can be
// authenticated.
type Credentials interface {
	// LookupUser returns the user owning accessKeyID and its secret access
	// key, or ErrInvalidAccessKeyID when no such user exists.
	LookupUser(ctx context.Context, accessKeyID string) (User, string, error)
}

// ObjectStore is the seam between the S3 protocol and storage. The in-memory
// store in s3/s3test and *node.Node implement it and pass the same
// conformance suite (s3test.Run).
//
// Errors are Code values (possibly wrapped): ErrNoSuchBucket, ErrNoSuchKey,
// and so on, as each method documents. Any other error is reported to the
// client as InternalError. Bucket names and keys reaching the store have
// already been validated by the protocol layer (CheckBucketName, CheckKey).
type ObjectStore interface {
	// ListBuckets returns u's buckets sorted by name.
	ListBuckets(ctx context.Context, u User) ([]BucketInfo, error)
	// CreateBucket creates bucket for u; ErrBucketAlreadyOwnedByYou if it exists.
	CreateBucket(ctx context.Context, u User, bucket string) error
	// HeadBucket returns ErrNoSuchBucket if u has no such bucket.
	HeadBucket(ctx context.Context, u User, bucket string) (BucketInfo, error)
	// DeleteBucket removes an empty bucket: ErrNoSuchBucket, or
	// ErrBucketNotEmpty if it holds objects or multipart uploads in progress.
	DeleteBucket(ctx context.Context, u User, bucket string) error

	// PutObject reads body to io.EOF and stores it as key's new version. It
	// stores nothing if body returns any other error (that error is returned
	// unchanged), if fewer or more than opts.Size bytes arrive
	// (ErrIncompleteBody), if a digest in opts does not match (ErrBadDigest for
	// ContentMD5, ErrXAmzContentSHA256Mismatch for ContentSHA256), or if a
	// condition fails (ErrPreconditionFailed; ErrNoSuchKey for IfMatch on a
	// missing key). A nil error means the bytes and metadata are durable.
	PutObject(ctx context.Context, u User, bucket, key string, body io.Reader, opts PutOptions) (ObjectInfo, error)
	// GetObject returns key's current version and a reader positioned at its
	// first byte; the caller closes it. ErrNoSuchBucket, ErrNoSuchKey.
	GetObject(ctx context.Context, u User, bucket, key string) (ObjectInfo, io.ReadSeekCloser, error)
	// HeadObject is GetObject without the body.
	HeadObject(ctx context.Context, u User, bucket, key string) (ObjectInfo, error)
	// DeleteObject removes key; deleting a missing key succeeds.
	// ErrNoSuchBucket.
	DeleteObject(ctx context.Context, u User, bucket, key string) error
	// CopyObject makes dstKey a new version with srcKey's bytes, without
	// reading them through the caller. opts.Precondition, if set, is called
	// with the source's info before anything is written and its error returned.
	// ErrNoSuchBucket, ErrNoSuchKey (source missing).
	CopyObject(ctx context.Context, u User, srcBucket, srcKey, dstBucket, dstKey string, opts CopyOptions) (ObjectInfo, error)
	// ListObjects lists bucket's keys in byte order with S3's prefix,
	// delimiter and pagination rules (see ListOptions). ErrNoSuchBucket.
	ListObjects(ctx context.Context, u User, bucket string, opts ListOptions) (ListResult, error)

	// CreateMultipartUpload starts an upload whose object will carry
	// opts.Metadata; only Metadata is used from opts. ErrNoSuchBucket.
	CreateMultipartUpload(ctx context.Context, u User, bucket, key string, opts PutOptions) (string, error)
	// UploadPart stores part number part (1..10000) of an upload, replacing an
	// earlier part with the same number. Body and digest rules as PutObject;
	// ErrNoSuchUpload.
	UploadPart(ctx context.Context, u User, bucket, key, uploadID string, part int, body io.Reader, opts PutOptions) (PartInfo, error)
	// CompleteMultipartUpload assembles the listed parts into key's new
	// version and ends the upload. ErrNoSuchUpload; ErrInvalidPartOrder if
	// part numbers do not ascend; ErrInvalidPart if a part is missing or its
	// ETag differs; ErrEntityTooSmall if a part other than the last is
	// smaller than MinPartSize; ErrPreconditionFailed/ErrNoSuchKey for opts'
	// conditions as PutObject.
	CompleteMultipartUpload(ctx context.Context, u User, bucket, key, uploadID string, parts []CompletedPart, opts PutOptions) (ObjectInfo, error)
	// AbortMultipartUpload discards an upload and its parts. ErrNoSuchUpload.
	AbortMultipartUpload(ctx context.Context, u User, bucket, key, uploadID string) error
	// ListParts lists an upload's parts by number after opts.PartNumberMarker.
	// ErrNoSuchUpload.
	ListParts(ctx context.Context, u User, bucket, key, uploadID string, opts ListPartsOptions) (ListPartsResult, error)
	// ListMultipartUploads lists uploads in progress ordered by (key, upload
	// initiation time, upload ID). ErrNoSuchBucket.
	ListMultipartUploads(ctx context.Context, u User, bucket string, opts ListUploadsOptions) (ListUploadsResult, error)
}

// Limits of the S3 protocol that every store shares.
const (
	MaxKeyLength     = 1024
	MaxMetadataSize  = 2048 // bytes of x-amz-meta-* names and values
	MaxObjectSize    = 5 << 40
	MaxPartSize      = 5 << 30
	MinPartSize      = 5 << 20
	MaxPartNumber    = 10000
	MaxKeysPerList   = 1000
	MaxDeleteObjects = 1000
)

// BucketInfo describes a bucket.
type BucketInfo struct {
	Name    string
	Created time.Time
}

// Metadata is the client-supplied metadata stored with an object version and
// returned by GET and HEAD.
type Metadata struct {
	ContentType        string
	ContentEncoding    string
	ContentDisposition string
	ContentLanguage    string
	CacheControl       string
	Expires            string
	// User holds x-amz-meta-* headers, names lower-cased without the prefix.
	User map[string]string
}

// Checksum is an additional checksum (x-amz-checksum-*) of an object or part.
type Checksum struct {
	Algorithm string // CRC32, CRC32C, CRC64NVME, SHA1, SHA256; "" if none
	Value     string // base64 as on the wire
}

// ObjectInfo describes one object version.
type ObjectInfo struct {
	Key          string
	VersionID    string
	Size         int64
	ETag         string // without quotes: MD5 hex, or "md5-of-md5s-N" for multipart
	LastModified time.Time
	SHA256       [32]byte // of the whole object
	Metadata     Metadata
	Checksum     Checksum
	PartsCount   int // 0 for a single PUT
}

// PutOptions carries what a write needs besides the bytes.
type PutOptions struct {
	// Size is the exact number of body bytes.
	Size     int64
	Metadata Metadata
	// ContentMD5, if not nil, is the MD5 the body must have (Content-MD5).
	ContentMD5 []byte
	// ContentSHA256, if not nil, is the SHA-256 the body must have
	// (x-amz-content-sha256 when the payload is signed). The store verifies
	// both digests in its own single pass over the bytes.
	ContentSHA256 []byte
	// IfMatch, if set, is the ETag (unquoted, or "*") the current version
	// must have; IfNoneMatch may be "*": the key must not exist.
	IfMatch     string
	IfNoneMatch string
	// Checksum, if set, is called once after body returned io.EOF; the
	// protocol layer has verified the value it returns and the store keeps it.
	Checksum func() Checksum
}

// CopyOptions controls CopyObject.
type CopyOptions struct {
	// Metadata replaces the source's metadata when not nil (REPLACE
	// directive); nil copies it.
	Metadata *Metadata
	// Precondition is checked against the source before the copy.
	Precondition func(src ObjectInfo) error
	// IfMatch and IfNoneMatch apply to the destination as in PutOptions.
	IfMatch     string
	IfNoneMatch string
}

// ListOptions selects a page of a listing. Keys are compared as bytes.
type ListOptions struct {
	Prefix    string
	Delimiter string // may be any string; "" for a flat listing
	// After lists entries strictly after this key (marker, start-after or a
	// decoded continuation token).
	After   string
	MaxKeys int // 0..1000; 0 returns an empty, untruncated page
}

// ListResult is one page of a listing. Objects and CommonPrefixes together
// hold at most MaxKeys entries.
type ListResult struct {
	Objects        []ObjectInfo
	CommonPrefixes []string
	IsTruncated    bool
	// NextAfter is the last key or common prefix of the page: the After of
	// the next page when IsTruncated.
	NextAfter string
}

// PartInfo describes an uploaded part.
type PartInfo struct {
	Number       int
	ETag         string // MD5 hex
	Size         int64
	LastModified time.Time
	Checksum     Checksum
}

// CompletedPart names a part in CompleteMultipartUpload.
type CompletedPart struct {
	Number int
	ETag   string // unquoted
}

// ListPartsOptions selects a page of ListParts.
type ListPartsOptions struct {
	PartNumberMarker int
	MaxParts         int // 1..1000
}

// ListPartsResult is one page of ListParts.
type ListPartsResult struct {
	Parts                []PartInfo
	IsTruncated          bool
	NextPartNumberMarker int
}

// ListUploadsOptions selects a page of ListMultipartUploads.
type ListUploadsOptions struct {
	Prefix         string
	Delimiter      string
	KeyMarker      string
	UploadIDMarker string
	MaxUploads     int // 1..1000
}

// UploadInfo describes a multipart upload in progress.
type UploadInfo struct {
	Key       string
	UploadID  string
	Initiated time.Time
}

// ListUploadsResult is one page of ListMultipartUploads.
type ListUploadsResult struct {
	Uploads            []UploadInfo
	CommonPrefixes     []string
	IsTruncated        bool
	NextKeyMarker      string
	NextUploadIDMarker string
}
