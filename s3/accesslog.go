package s3

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"time"
)

// logWriter records the status and bytes of a response for the access log.
// It forwards ReadFrom so that io.Copy from an *os.File still reaches
// sendfile, and Unwrap so that http.ResponseController finds the
// connection.
type logWriter struct {
	http.ResponseWriter
	status      int
	bytes       int64
	wroteHeader bool
}

func newLogWriter(w http.ResponseWriter) *logWriter {
	return &logWriter{ResponseWriter: w, status: http.StatusOK}
}

func (w *logWriter) WriteHeader(status int) {
	if !w.wroteHeader && status >= 200 {
		w.status, w.wroteHeader = status, true
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *logWriter) Write(p []byte) (int, error) {
	w.wroteHeader = true
	n, err := w.ResponseWriter.Write(p)
	w.bytes += int64(n)
	return n, err
}

func (w *logWriter) ReadFrom(r io.Reader) (int64, error) {
	w.wroteHeader = true
	var n int64
	var err error
	if rf, ok := w.ResponseWriter.(io.ReaderFrom); ok {
		n, err = rf.ReadFrom(r)
	} else {
		n, err = io.Copy(struct{ io.Writer }{w.ResponseWriter}, r)
	}
	w.bytes += n
	return n, err
}

func (w *logWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// logAccess writes the request's one access-log line.
func (s *Server) logAccess(req *request, w *logWriter, body *deadlineBody, start time.Time, err error) {
	attrs := []any{
		"method", req.r.Method, "path", req.r.URL.Path, "status", w.status,
		"bytes_in", body.n, "bytes_out", w.bytes, "duration", time.Since(start),
		"request_id", req.id, "access_key", req.user.AccessKeyID,
	}
	if err != nil {
		code, _ := toCode(err)
		attrs = append(attrs, "error", string(code))
	}
	s.log.Info("request", attrs...)
}

// idSource issues request IDs: a random per-server prefix and a counter,
// unique without coordination and cheap to make.
type idSource struct {
	prefix uint32
	n      atomic.Uint64
}

func newIDSource() *idSource {
	var b [4]byte
	rand.Read(b[:])
	return &idSource{prefix: binary.BigEndian.Uint32(b[:])}
}

// next returns a new 16-hex-digit request ID, as AWS's are.
func (s *idSource) next() string {
	return fmt.Sprintf("%08X%08X", s.prefix, uint32(s.n.Add(1)))
}

// hostID returns the x-amz-id-2 value of request id.
func (s *idSource) hostID(id string) string {
	return base64.StdEncoding.EncodeToString([]byte("d3s/" + id))
}
