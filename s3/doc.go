// Package s3 is D3S's S3 REST front end: an http.Handler that
// authenticates every request (SigV4 and SigV2 through s3/auth), routes it
// to an S3 operation and renders S3 responses and XML errors over an
// ObjectStore, the seam implemented by the in-memory store in s3/s3test and
// by *node.Node.
//
// # Request flow
//
// ServeHTTP assigns the request ID (x-amz-request-id, x-amz-id-2), then
// authenticates before reading a single body byte: there is no anonymous
// access, and an authentication failure is answered with Connection: close
// and without "100 Continue", so an unauthenticated client cannot make the
// server read its body. Routing then splits bucket and key (virtual-hosted
// style when the Host is bucket.<Domain>, path style otherwise), checks
// their names, and picks the operation from method, path level and
// sub-resource. Handlers return errors; exactly one writeError renders them,
// translating auth sentinels through one table (authmap.go) and anything
// that is not a Code to InternalError, logged once with the request ID.
// Each request produces one access-log line.
//
// Request bodies are read through a wrapper that moves the connection's
// read deadline forward as bytes arrive: a client silent for 60 s gets
// RequestTimeout. Response bodies are sent in 1 MiB chunks, each with a
// fresh write deadline, through io.LimitReader so that an *os.File reaches
// sendfile.
//
// # Supported operations
//
//	Operation                 Request                                   Notes
//	ListBuckets               GET /                                     prefix, max-buckets, continuation-token
//	CreateBucket              PUT /b                                    any LocationConstraint; BucketAlreadyOwnedByYou
//	HeadBucket                HEAD /b
//	DeleteBucket              DELETE /b                                 BucketNotEmpty
//	GetBucketLocation         GET /b?location
//	GetBucketVersioning       GET /b?versioning                         always "never enabled"
//	GetBucketAcl              GET /b?acl                                owner FULL_CONTROL, the only grant D3S has
//	ListObjects (V1, V2)      GET /b, GET /b?list-type=2
//	ListMultipartUploads      GET /b?uploads
//	DeleteObjects             POST /b?delete
//	PutObject                 PUT /b/k                                  Content-MD5, x-amz-checksum-*, If-Match, If-None-Match: *
//	CopyObject                PUT /b/k + x-amz-copy-source              COPY/REPLACE, x-amz-copy-source-if-*
//	GetObject                 GET /b/k                                  one Range, conditionals, response-* overrides, checksum mode
//	HeadObject                HEAD /b/k
//	DeleteObject              DELETE /b/k
//	GetObjectAcl              GET /b/k?acl                              owner FULL_CONTROL
//	CreateMultipartUpload     POST /b/k?uploads
//	UploadPart, UploadPartCopy PUT /b/k?partNumber&uploadId
//	CompleteMultipartUpload   POST /b/k?uploadId
//	AbortMultipartUpload      DELETE /b/k?uploadId
//	ListParts                 GET /b/k?uploadId
//
// Everything else answers NotImplemented (501) rather than a wrong success:
// writing ACLs, policy, lifecycle, CORS, website, tagging, replication,
// object lock, versioning configuration, encryption, notification, logging,
// ListObjectVersions, SelectObjectContent, RestoreObject, GetObjectAttributes,
// browser POST uploads and ?torrent; and on writes the headers that ask for
// server-side encryption, object lock, tagging, website redirects, grants or
// a canned ACL other than private/bucket-owner-full-control. Buckets are
// unversioned: versionId=null is accepted, any other version ID is
// InvalidArgument. A valid x-amz-storage-class is accepted and every object
// is kept (and listed) as STANDARD. GET with several ranges returns the
// whole object with 200, as S3 does; partNumber on GET/HEAD is honoured
// only for part 1 of an object not uploaded in parts.
package s3
