package s3

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/d3s/d3s/s3/auth"
)

// xmlNS is the namespace of every S3 XML document.
const xmlNS = "http://s3.amazonaws.com/doc/2006-03-01/"

// Request body limits. S3 does not publish them; these admit the largest
// valid documents (1000 keys of 1024 bytes, every byte escaped; 10000 parts
// with checksums) while bounding memory.
const (
	maxDeleteBody   = 8 << 20
	maxCompleteBody = 4 << 20
)

// writeXML writes v as an S3 XML response body with the given status.
// It marshals v before writing anything, so a marshalling error can still be
// rendered as an S3 error by the caller.
func writeXML(w http.ResponseWriter, status int, v any) error {
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	if err := xml.NewEncoder(&buf).Encode(v); err != nil {
		return fmt.Errorf("marshal %T: %w", v, err)
	}
	h := w.Header()
	h.Set("Content-Type", "application/xml")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("write %T: %w", v, err)
	}
	return nil
}

// readXML decodes a request body of at most limit bytes into v, checking
// the signed payload SHA-256: ErrMalformedXML, ErrMaxMessageLengthExceeded,
// ErrXAmzContentSHA256Mismatch. Other errors of the verified body (chunk
// signatures, checksums) are returned unchanged for the router to map.
func readXML(req *request, limit int64, v any) error {
	body, err := readSmallBody(req, limit)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return ErrMalformedXML
	}
	if err := xml.Unmarshal(body, v); err != nil {
		return ErrMalformedXML
	}
	return nil
}

// readSmallBody reads the whole verified body of req, at most limit bytes.
func readSmallBody(req *request, limit int64) ([]byte, error) {
	if req.auth == nil || req.auth.Body == nil {
		return nil, ErrMalformedXML
	}
	if req.auth.DecodedLength > limit {
		return nil, ErrMaxMessageLengthExceeded
	}
	// Count what CheckedBody reads, so that an oversized body is reported
	// as such and not as a digest mismatch of its truncated prefix.
	counted := &countingReader{r: io.LimitReader(req.auth.Body, limit+1)}
	res := *req.auth
	res.Body = counted
	body, err := auth.CheckedBody(&res, limit+1)
	switch {
	case counted.n > limit, errors.Is(err, auth.ErrBodyTooLarge):
		return nil, ErrMaxMessageLengthExceeded
	case errors.Is(err, auth.ErrContentSHA256Mismatch):
		return nil, ErrXAmzContentSHA256Mismatch
	case err != nil:
		return nil, err
	}
	return body, nil
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
