package s3

import (
	"errors"
	"net/http"
)

// Code is an S3 error code with AWS's name. A Code is an error, so stores
// return (or wrap) these values and the protocol layer renders them; any
// error that is not a Code becomes InternalError.
type Code string

// Error returns the code's default message.
func (c Code) Error() string {
	if e, ok := codeTable[c]; ok {
		return e.message
	}
	return string(c)
}

// Status is the HTTP status S3 answers with for c.
func (c Code) Status() int {
	if e, ok := codeTable[c]; ok {
		return e.status
	}
	return http.StatusInternalServerError
}

// AsCode reports the Code in err's chain, or ErrInternalError.
func AsCode(err error) Code {
	var c Code
	if errors.As(err, &c) {
		return c
	}
	return ErrInternalError
}

// The S3 error codes D3S answers with.
const (
	ErrAccessDenied                   Code = "AccessDenied"
	ErrAuthorizationHeaderMalformed   Code = "AuthorizationHeaderMalformed"
	ErrAuthorizationQueryParamsError  Code = "AuthorizationQueryParametersError"
	ErrBadDigest                      Code = "BadDigest"
	ErrBucketAlreadyExists            Code = "BucketAlreadyExists"
	ErrBucketAlreadyOwnedByYou        Code = "BucketAlreadyOwnedByYou"
	ErrBucketNotEmpty                 Code = "BucketNotEmpty"
	ErrEntityTooLarge                 Code = "EntityTooLarge"
	ErrEntityTooSmall                 Code = "EntityTooSmall"
	ErrExpiredToken                   Code = "ExpiredToken"
	ErrIncompleteBody                 Code = "IncompleteBody"
	ErrInternalError                  Code = "InternalError"
	ErrInvalidAccessKeyID             Code = "InvalidAccessKeyId"
	ErrInvalidArgument                Code = "InvalidArgument"
	ErrInvalidBucketName              Code = "InvalidBucketName"
	ErrInvalidDigest                  Code = "InvalidDigest"
	ErrInvalidPart                    Code = "InvalidPart"
	ErrInvalidPartOrder               Code = "InvalidPartOrder"
	ErrInvalidRange                   Code = "InvalidRange"
	ErrInvalidRequest                 Code = "InvalidRequest"
	ErrKeyTooLongError                Code = "KeyTooLongError"
	ErrMalformedXML                   Code = "MalformedXML"
	ErrMetadataTooLarge               Code = "MetadataTooLarge"
	ErrMethodNotAllowed               Code = "MethodNotAllowed"
	ErrMissingContentLength           Code = "MissingContentLength"
	ErrMissingSecurityHeader          Code = "MissingSecurityHeader"
	ErrNoSuchBucket                   Code = "NoSuchBucket"
	ErrNoSuchKey                      Code = "NoSuchKey"
	ErrNoSuchUpload                   Code = "NoSuchUpload"
	ErrNotImplemented                 Code = "NotImplemented"
	ErrNotModified                    Code = "NotModified"
	ErrPreconditionFailed             Code = "PreconditionFailed"
	ErrRequestTimeTooSkewed           Code = "RequestTimeTooSkewed"
	ErrRequestTimeout                 Code = "RequestTimeout"
	ErrSignatureDoesNotMatch          Code = "SignatureDoesNotMatch"
	ErrSlowDown                       Code = "SlowDown"
	ErrServiceUnavailable             Code = "ServiceUnavailable"
	ErrXAmzContentSHA256Mismatch      Code = "XAmzContentSHA256Mismatch"
	ErrInvalidStorageClass            Code = "InvalidStorageClass"
	ErrMaxMessageLengthExceeded       Code = "MaxMessageLengthExceeded"
	ErrInvalidChunkSizeError          Code = "InvalidChunkSizeError"
	ErrTooManyParts                   Code = "InvalidArgument" // S3 reports >10000 parts as InvalidArgument
	ErrConditionalRequestConflict     Code = "ConditionalRequestConflict"
	ErrIllegalLocationConstraintError Code = "IllegalLocationConstraintException"
)

type codeInfo struct {
	status  int
	message string
}

// codeTable is the one table of HTTP status and message for every Code.
var codeTable = map[Code]codeInfo{
	ErrAccessDenied:                   {403, "Access Denied"},
	ErrAuthorizationHeaderMalformed:   {400, "The authorization header is malformed."},
	ErrAuthorizationQueryParamsError:  {400, "Error parsing the X-Amz-Credential parameter or other presigned query parameters."},
	ErrBadDigest:                      {400, "The Content-MD5 or checksum you specified did not match what we received."},
	ErrBucketAlreadyExists:            {409, "The requested bucket name is not available."},
	ErrBucketAlreadyOwnedByYou:        {409, "Your previous request to create the named bucket succeeded and you already own it."},
	ErrBucketNotEmpty:                 {409, "The bucket you tried to delete is not empty."},
	ErrEntityTooLarge:                 {400, "Your proposed upload exceeds the maximum allowed object size."},
	ErrEntityTooSmall:                 {400, "Your proposed upload is smaller than the minimum allowed object size."},
	ErrExpiredToken:                   {400, "The provided token has expired."},
	ErrIncompleteBody:                 {400, "You did not provide the number of bytes specified by the Content-Length HTTP header."},
	ErrInternalError:                  {500, "We encountered an internal error. Please try again."},
	ErrInvalidAccessKeyID:             {403, "The AWS Access Key Id you provided does not exist in our records."},
	ErrInvalidArgument:                {400, "Invalid Argument"},
	ErrInvalidBucketName:              {400, "The specified bucket is not valid."},
	ErrInvalidDigest:                  {400, "The Content-MD5 you specified is not valid."},
	ErrInvalidPart:                    {400, "One or more of the specified parts could not be found. The part might not have been uploaded, or the specified entity tag might not have matched the part's entity tag."},
	ErrInvalidPartOrder:               {400, "The list of parts was not in ascending order. The parts list must be specified in order by part number."},
	ErrInvalidRange:                   {416, "The requested range is not satisfiable"},
	ErrInvalidRequest:                 {400, "Invalid Request"},
	ErrKeyTooLongError:                {400, "Your key is too long."},
	ErrMalformedXML:                   {400, "The XML you provided was not well-formed or did not validate against our published schema."},
	ErrMetadataTooLarge:               {400, "Your metadata headers exceed the maximum allowed metadata size."},
	ErrMethodNotAllowed:               {405, "The specified method is not allowed against this resource."},
	ErrMissingContentLength:           {411, "You must provide the Content-Length HTTP header."},
	ErrMissingSecurityHeader:          {400, "Your request is missing a required header."},
	ErrNoSuchBucket:                   {404, "The specified bucket does not exist."},
	ErrNoSuchKey:                      {404, "The specified key does not exist."},
	ErrNoSuchUpload:                   {404, "The specified multipart upload does not exist. The upload ID might be invalid, or the multipart upload might have been aborted or completed."},
	ErrNotImplemented:                 {501, "A header or query you provided implies functionality that is not implemented."},
	ErrNotModified:                    {304, "Not Modified"},
	ErrPreconditionFailed:             {412, "At least one of the preconditions you specified did not hold."},
	ErrRequestTimeTooSkewed:           {403, "The difference between the request time and the server's time is too large."},
	ErrRequestTimeout:                 {400, "Your socket connection to the server was not read from or written to within the timeout period."},
	ErrSignatureDoesNotMatch:          {403, "The request signature we calculated does not match the signature you provided. Check your key and signing method."},
	ErrSlowDown:                       {503, "Please reduce your request rate."},
	ErrServiceUnavailable:             {503, "Service is unable to handle request."},
	ErrXAmzContentSHA256Mismatch:      {400, "The provided 'x-amz-content-sha256' header does not match what was computed."},
	ErrInvalidStorageClass:            {400, "The storage class you specified is not valid."},
	ErrMaxMessageLengthExceeded:       {400, "Your request was too big."},
	ErrInvalidChunkSizeError:          {403, "Only the last chunk is allowed to have a size less than 8192 bytes."},
	ErrConditionalRequestConflict:     {409, "A conflicting operation occurred. Retry the request."},
	ErrIllegalLocationConstraintError: {400, "The specified location-constraint is not valid."},
}
