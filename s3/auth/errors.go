package auth

import "errors"

// Errors returned by Verify and by a verified Body. The s3 package maps each
// to its S3 error code in one table.
var (
	// ErrMissingAuth: the request carries no signature (anonymous); S3 AccessDenied.
	ErrMissingAuth = errors.New("auth: request is not signed")
	// ErrExpired: a presigned URL past its expiry; S3 AccessDenied.
	ErrExpired = errors.New("auth: request has expired")
	// ErrSignatureDoesNotMatch: the signature is wrong (also a bad chunk signature).
	ErrSignatureDoesNotMatch = errors.New("auth: signature does not match")
	// ErrInvalidAccessKeyID: no user has the access key.
	ErrInvalidAccessKeyID = errors.New("auth: unknown access key")
	// ErrRequestTimeTooSkewed: x-amz-date/Date more than 15 minutes off.
	ErrRequestTimeTooSkewed = errors.New("auth: request time too skewed")
	// ErrHeaderMalformed: an Authorization header that does not parse.
	ErrHeaderMalformed = errors.New("auth: authorization header malformed")
	// ErrQueryMalformed: presigned query parameters that do not parse, or
	// an expiry over 7 days.
	ErrQueryMalformed = errors.New("auth: presigned query parameters malformed")
	// ErrMissingDate: no x-amz-date or Date header.
	ErrMissingDate = errors.New("auth: request date missing")
	// ErrContentSHA256Mismatch: the x-amz-content-sha256 header is not a
	// valid value, or the body does not hash to it.
	ErrContentSHA256Mismatch = errors.New("auth: x-amz-content-sha256 mismatch")
	// ErrChecksumMismatch: an x-amz-checksum-* value does not match the body; S3 BadDigest.
	ErrChecksumMismatch = errors.New("auth: checksum does not match")
	// ErrInvalidChecksum: an x-amz-checksum-* header or trailer that is malformed
	// or names an unknown algorithm; S3 InvalidRequest.
	ErrInvalidChecksum = errors.New("auth: invalid checksum")
	// ErrIncompleteBody: the aws-chunked body ended early or exceeds its
	// declared decoded length.
	ErrIncompleteBody = errors.New("auth: incomplete body")
	// ErrMalformedChunk: an aws-chunked body that does not parse; S3 InvalidRequest.
	ErrMalformedChunk = errors.New("auth: malformed aws-chunked body")
	// ErrUnsupported: a signing scheme D3S does not implement (e.g. ECDSA
	// streaming); S3 NotImplemented.
	ErrUnsupported = errors.New("auth: unsupported signing scheme")
)

// Errors added with the implementation; the s3 package maps them too.
var (
	// ErrMissingContentSHA256: a SigV4 header-signed request without the
	// x-amz-content-sha256 header; S3 InvalidRequest.
	ErrMissingContentSHA256 = errors.New("auth: x-amz-content-sha256 header missing")
	// ErrHeadersNotSigned: x-amz-* headers present in a header-signed SigV4
	// request but absent from SignedHeaders (or host not signed); S3 AccessDenied.
	ErrHeadersNotSigned = errors.New("auth: headers present in the request are not signed")
	// ErrBodyTooLarge: CheckedBody found a body over its limit; S3
	// MaxMessageLengthExceeded (or EntityTooLarge).
	ErrBodyTooLarge = errors.New("auth: request body too large")
)
