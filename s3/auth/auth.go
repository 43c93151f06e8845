package auth

import (
	"context"
	"io"
	"net/http"
	"strings"
	"time"
)

// Credentials finds the secret of an access key, and who owns it.
type Credentials interface {
	// Secret returns the secret access key of accessKeyID and its owner,
	// which the Verifier does not look at and hands back in Result.Owner
	// so that the caller needs no second lookup. It returns an error
	// wrapping ErrInvalidAccessKeyID when there is no such user.
	Secret(ctx context.Context, accessKeyID string) (secret string, owner any, err error)
}

// Options configures a Verifier.
type Options struct {
	// Domain enables virtual-hosted-style requests (bucket.Domain); SigV2
	// needs it to compute the canonical resource.
	Domain string
	// MaxSkew is the allowed clock difference; 0 means 15 minutes.
	MaxSkew time.Duration
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
}

// Result is what a successfully verified request yields.
type Result struct {
	// AccessKeyID is the access key the request was signed with.
	AccessKeyID string
	// Owner is what Credentials.Secret returned with the secret: the key's
	// owner, for the caller.
	Owner any
	// Body is the payload with any aws-chunked framing removed. It verifies
	// chunk signatures and x-amz-checksum-* values (header or trailer) as it
	// is read, and returns an error from this package instead of io.EOF when
	// one fails. It does NOT check ContentSHA256: the caller does, in the
	// store's own hash pass (or with CheckedBody for small bodies).
	Body io.Reader
	// DecodedLength is the payload length (x-amz-decoded-content-length for
	// aws-chunked, else Content-Length); -1 if unknown.
	DecodedLength int64
	// ContentSHA256 is the signed payload SHA-256 when the client sent one
	// in hex; nil for UNSIGNED-PAYLOAD and the streaming forms.
	ContentSHA256 []byte
	// ChecksumAlgorithm is "CRC32", "CRC32C", "CRC64NVME", "SHA1" or
	// "SHA256" when the request carries an x-amz-checksum-* value (header
	// or announced trailer), else "".
	ChecksumAlgorithm string
	// Checksum returns the verified base64 checksum value; valid only after
	// Body returned io.EOF. Nil when ChecksumAlgorithm is "".
	Checksum func() string
}

// Verifier authenticates S3 requests: SigV4 (Authorization header,
// presigned query, streaming chunk signatures, trailers) and SigV2 (header
// and query). Every request must be signed: there is no anonymous access.
// A Verifier is safe for concurrent use.
type Verifier struct {
	creds Credentials
	opts  Options
	keys  *keyCache
}

// New returns a Verifier that looks secrets up in creds.
func New(creds Credentials, opts Options) *Verifier {
	if opts.MaxSkew == 0 {
		opts.MaxSkew = 15 * time.Minute
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Verifier{creds: creds, opts: opts, keys: newKeyCache(keyCacheSize)}
}

// Verify authenticates r. It reads nothing from r.Body except through the
// returned Result.Body.
func (v *Verifier) Verify(r *http.Request) (*Result, error) {
	authz := r.Header.Get("Authorization")
	switch {
	case strings.HasPrefix(authz, algoV4+" "):
		return v.verifyV4Header(r, authz)
	case strings.HasPrefix(authz, "AWS4-ECDSA-P256-SHA256"):
		return nil, ErrUnsupported
	case strings.HasPrefix(authz, "AWS "):
		return v.verifyV2Header(r, authz)
	case authz != "":
		return nil, ErrHeaderMalformed
	}
	q := r.URL.RawQuery
	switch {
	case hasQueryKey(q, "X-Amz-Algorithm") || hasQueryKey(q, "X-Amz-Credential") || hasQueryKey(q, "X-Amz-Signature"):
		return v.verifyV4Query(r)
	case hasQueryKey(q, "AWSAccessKeyId") || hasQueryKey(q, "Signature"):
		return v.verifyV2Query(r)
	}
	return nil, ErrMissingAuth
}

// secret looks up the secret and owner of accessKeyID, mapping an empty
// one to ErrInvalidAccessKeyID.
func (v *Verifier) secret(ctx context.Context, accessKeyID string) (secret string, owner any, err error) {
	if accessKeyID == "" {
		return "", nil, ErrInvalidAccessKeyID
	}
	secret, owner, err = v.creds.Secret(ctx, accessKeyID)
	if err != nil {
		return "", nil, err
	}
	return secret, owner, nil
}

// skewed reports whether t is further than MaxSkew from now.
func (v *Verifier) skewed(t time.Time) bool {
	d := v.opts.Now().Sub(t)
	return d > v.opts.MaxSkew || d < -v.opts.MaxSkew
}

// requestBody returns r.Body or an empty body when there is none.
func requestBody(r *http.Request) io.Reader {
	if r.Body == nil {
		return http.NoBody
	}
	return r.Body
}
