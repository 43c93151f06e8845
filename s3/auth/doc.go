// Package auth authenticates S3 requests. Every request must be signed;
// an unsigned one is ErrMissingAuth (D3S has no anonymous access).
//
// # Supported schemes
//
//   - SigV4 in the Authorization header ("AWS4-HMAC-SHA256 Credential=AK/
//     yyyymmdd/region/s3/aws4_request, SignedHeaders=..., Signature=...").
//     Any region is accepted: the one in the scope is used. The canonical
//     URI is the path exactly as sent (S3 does not normalise or
//     double-encode it); the canonical query is RFC 3986 encoded and sorted
//     by key then value; header values are trimmed with inner whitespace
//     collapsed; host comes from r.Host and content-length from
//     r.ContentLength when net/http moved them out of r.Header. The
//     x-amz-date (or Date) must match the scope date and lie within
//     Options.MaxSkew. Like S3, host and every x-amz-* header present must
//     be signed (ErrHeadersNotSigned), and x-amz-content-sha256 is required.
//   - SigV4 presigned URLs (X-Amz-Algorithm, X-Amz-Credential, X-Amz-Date,
//     X-Amz-Expires of 1..604800 s, X-Amz-SignedHeaders, X-Amz-Signature);
//     the payload is UNSIGNED-PAYLOAD unless x-amz-content-sha256 is sent.
//   - SigV4 streaming bodies (aws-chunked), selected by x-amz-content-sha256:
//     STREAMING-AWS4-HMAC-SHA256-PAYLOAD (every chunk signature checked in
//     the chain seeded by the request signature),
//     STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER (the same plus a signed
//     trailer) and STREAMING-UNSIGNED-PAYLOAD-TRAILER (plain chunks and a
//     trailer). The ECDSA (SigV4a) forms are ErrUnsupported.
//   - SigV2 in the header ("AWS AKID:base64(HMAC-SHA1)") and as a presigned
//     query (AWSAccessKeyId, Expires, Signature). The canonical resource is
//     "/bucket/key" plus the S3 sub-resources; with Options.Domain set a
//     virtual-hosted request (Host bucket.Domain) maps to "/bucket/key".
//
// # Bodies and checksums
//
// Verify never reads the body. Result.Body streams the payload: the
// aws-chunked decoder strips the framing, checks chunk signatures as each
// chunk completes, checks x-amz-decoded-content-length and the trailer, and
// only then returns io.EOF. Any failure is returned instead of io.EOF, so a
// consumer must not commit data before it saw io.EOF. Framing is bounded:
// chunk header and trailer lines of at most 4 KiB, at most 16 trailer
// lines, chunk sizes up to 64 MiB (nothing is allocated by chunk size).
//
// An x-amz-checksum-{crc32,crc32c,crc64nvme,sha1,sha256} value, as a request
// header or as the trailer announced by x-amz-trailer, is computed over the
// decoded payload and compared at EOF (ErrChecksumMismatch); a malformed
// value or unknown algorithm is ErrInvalidChecksum. The header on
// CompleteMultipartUpload names the object's checksum, not the body's, and
// is left to the caller.
//
// A signed hex x-amz-content-sha256 is returned in Result.ContentSHA256 and
// not checked here: the object store hashes the payload anyway and compares
// (ErrContentSHA256Mismatch); CheckedBody does it for small XML bodies.
//
// # Performance
//
// Derived SigV4 signing keys are cached per (secret, date, region,
// service) in a bounded map, so a request costs two SHA-256 passes and one
// HMAC. Signatures are compared in constant time.
package auth
