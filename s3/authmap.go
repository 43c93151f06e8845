package s3

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/d3s/d3s/s3/auth"
)

// authCodes is the one translation table from the verifier's sentinels
// (returned by Verify or by a verified body mid-stream) to S3 codes.
var authCodes = []struct {
	sentinel error
	code     Code
	msg      string // "" for the code's default message
}{
	{auth.ErrMissingAuth, ErrAccessDenied, ""},
	{auth.ErrExpired, ErrAccessDenied, "Request has expired"},
	{auth.ErrSignatureDoesNotMatch, ErrSignatureDoesNotMatch, ""},
	{auth.ErrInvalidAccessKeyID, ErrInvalidAccessKeyID, ""},
	{auth.ErrRequestTimeTooSkewed, ErrRequestTimeTooSkewed, ""},
	{auth.ErrHeaderMalformed, ErrAuthorizationHeaderMalformed, ""},
	{auth.ErrQueryMalformed, ErrAuthorizationQueryParamsError, ""},
	{auth.ErrMissingDate, ErrAccessDenied, "AWS authentication requires a valid Date or x-amz-date header"},
	{auth.ErrContentSHA256Mismatch, ErrXAmzContentSHA256Mismatch, ""},
	{auth.ErrChecksumMismatch, ErrBadDigest, ""},
	{auth.ErrInvalidChecksum, ErrInvalidRequest, "Value for x-amz-checksum header is invalid."},
	{auth.ErrIncompleteBody, ErrIncompleteBody, ""},
	{auth.ErrMalformedChunk, ErrInvalidRequest, "The aws-chunked request body is malformed."},
	{auth.ErrUnsupported, ErrNotImplemented, "The requested signing scheme is not implemented."},
	{auth.ErrMissingContentSHA256, ErrInvalidRequest, "Missing required header for this request: x-amz-content-sha256"},
	{auth.ErrHeadersNotSigned, ErrAccessDenied, "There were headers present in the request which were not signed"},
	{auth.ErrBodyTooLarge, ErrMaxMessageLengthExceeded, ""},
	{io.ErrUnexpectedEOF, ErrIncompleteBody, ""},
	{os.ErrDeadlineExceeded, ErrRequestTimeout, ""},
}

// toCode translates any error a handler returns into the Code to render
// and its message. Unknown errors become InternalError.
func toCode(err error) (Code, string) {
	for _, e := range authCodes {
		if errors.Is(err, e.sentinel) {
			if e.msg == "" {
				return e.code, errorMessage(err, e.code)
			}
			return e.code, e.msg
		}
	}
	c := AsCode(err)
	return c, errorMessage(err, c)
}

// credsAdapter lets the verifier look secrets up in s3.Credentials. The
// owner it returns with a secret is the User, which comes back to
// Server.authenticate in auth.Result.Owner.
type credsAdapter struct{ creds Credentials }

// Secret returns accessKeyID's secret and User, wrapping
// auth.ErrInvalidAccessKeyID when no user has it.
func (a credsAdapter) Secret(ctx context.Context, accessKeyID string) (string, any, error) {
	u, secret, err := a.creds.LookupUser(ctx, accessKeyID)
	if errors.Is(err, ErrInvalidAccessKeyID) {
		// err may carry a message more precise than the code's (WithMessage).
		return "", nil, fmt.Errorf("lookup %s: %w: %w", accessKeyID, auth.ErrInvalidAccessKeyID, err)
	}
	if err != nil {
		return "", nil, fmt.Errorf("lookup %s: %w", accessKeyID, err)
	}
	return secret, u, nil
}
