package s3

import "net/http"

// writeXML writes v as an S3 XML response body with the given status.
func writeXML(w http.ResponseWriter, status int, v any) error { panic("unimplemented") }

// readXML decodes a request body of at most limit bytes into v, checking
// the signed payload SHA-256: ErrMalformedXML, ErrMaxMessageLengthExceeded,
// ErrXAmzContentSHA256Mismatch.
func readXML(req *request, limit int64, v any) error { panic("unimplemented") }
