package s3

import (
	"encoding/xml"
	"net/http"
	"strconv"
)

// errorBody is S3's XML error document.
type errorBody struct {
	XMLName    xml.Name `xml:"Error"`
	Code       Code     `xml:"Code"`
	Message    string   `xml:"Message"`
	BucketName string   `xml:"BucketName,omitempty"`
	Key        string   `xml:"Key,omitempty"`
	Resource   string   `xml:"Resource"`
	RequestID  string   `xml:"RequestId"`
	HostID     string   `xml:"HostId"`
}

// retryAfter is the Retry-After (seconds) sent with every 503.
const retryAfter = "1"

// writeError renders err as an S3 error response. Errors that are not a
// Code (or an auth sentinel) are InternalError and logged here, once.
// HEAD and 304 responses carry no body. The status must not have been
// sent yet.
func (s *Server) writeError(w http.ResponseWriter, req *request, err error) {
	code, msg := toCode(err)
	if code == ErrInternalError {
		s.log.Error("internal error", "request_id", req.id, "method", req.r.Method,
			"path", req.r.URL.Path, "err", err)
	}
	status := code.Status()
	h := w.Header()
	for _, k := range []string{"Content-Length", "Content-Range", "Content-Encoding", "Content-Type"} {
		h.Del(k)
	}
	if status != http.StatusNotModified {
		h.Del("ETag")
		h.Del("Last-Modified")
	}
	if status == http.StatusServiceUnavailable {
		// Every 503 is one the client should retry (SlowDown,
		// ServiceUnavailable): say when.
		h.Set("Retry-After", retryAfter)
	}
	if code == ErrInvalidRange {
		if size, ok := rangeSize(err); ok {
			h.Set("Content-Range", "bytes */"+strconv.FormatInt(size, 10))
		}
	}
	if req.r.Method == http.MethodHead || status == http.StatusNotModified {
		w.WriteHeader(status)
		return
	}
	body, _ := xml.Marshal(errorBody{
		Code: code, Message: msg, BucketName: req.bucket, Key: req.key,
		Resource: req.r.URL.Path, RequestID: req.id, HostID: s.ids.hostID(req.id),
	})
	h.Set("Content-Type", "application/xml")
	h.Set("Content-Length", strconv.Itoa(len(xml.Header)+len(body)))
	w.WriteHeader(status)
	w.Write([]byte(xml.Header))
	w.Write(body)
}
