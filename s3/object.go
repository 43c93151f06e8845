package s3

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// putObject answers PutObject. The body is read only here, after
// authentication and every header check.
func (s *Server) putObject(w http.ResponseWriter, req *request) error {
	opts, err := req.putOptions()
	if err != nil {
		return err
	}
	info, err := s.store.PutObject(req.r.Context(), req.user, req.bucket, req.key, req.auth.Body, opts)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("ETag", quoteETag(info.ETag))
	setChecksumHeaders(h, info.Checksum)
	h.Set("Content-Length", "0")
	w.WriteHeader(http.StatusOK)
	return nil
}

// deleteObject answers DeleteObject; a missing key is deleted too.
func (s *Server) deleteObject(w http.ResponseWriter, req *request) error {
	if err := s.store.DeleteObject(req.r.Context(), req.user, req.bucket, req.key); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// getObject answers GetObject, streaming the selected bytes straight from
// the store's reader (an *os.File, when a store returns one, reaches
// sendfile through io.Copy).
func (s *Server) getObject(w http.ResponseWriter, req *request) error {
	info, body, err := s.store.GetObject(req.r.Context(), req.user, req.bucket, req.key)
	if err != nil {
		return err
	}
	defer body.Close()
	start, length, err := s.prepareRead(w, req, info)
	if err != nil {
		return err
	}
	if start > 0 {
		if _, err := body.Seek(start, io.SeekStart); err != nil {
			return err
		}
	}
	first, err := readFirst(body, length)
	if err != nil {
		return err // no status sent yet: the client gets the error itself
	}
	w.WriteHeader(readStatus(w))
	if _, err := w.Write(first); err != nil {
		return err
	}
	return sendBody(w, body, length-int64(len(first)))
}

// firstChunk is how much of a body is read before the status is sent.
const firstChunk = 32 << 10

// readFirst reads the first bytes of a response body before its status
// line is sent, so that a body that cannot be read at all (an object
// whose holders all stopped answering) is answered with an error status
// the client retries, not with a 200 cut short.
func readFirst(body io.Reader, length int64) ([]byte, error) {
	b := make([]byte, min(length, firstChunk))
	if _, err := io.ReadFull(body, b); err != nil {
		return nil, err
	}
	return b, nil
}

// headObject answers HeadObject: GetObject's headers without the body.
func (s *Server) headObject(w http.ResponseWriter, req *request) error {
	info, err := s.store.HeadObject(req.r.Context(), req.user, req.bucket, req.key)
	if err != nil {
		return err
	}
	if _, _, err := s.prepareRead(w, req, info); err != nil {
		return err
	}
	w.WriteHeader(readStatus(w))
	return nil
}

// readStatus is 206 when prepareRead selected a range.
func readStatus(w http.ResponseWriter) int {
	if w.Header().Get("Content-Range") != "" {
		return http.StatusPartialContent
	}
	return http.StatusOK
}

// prepareRead evaluates a GET or HEAD's conditions, part number and range
// against info and sets the response headers; it returns the byte range
// to send.
func (s *Server) prepareRead(w http.ResponseWriter, req *request, info ObjectInfo) (start, length int64, err error) {
	h, q := req.r.Header, req.r.URL.Query()
	if err := checkConditions(h, getConditions, info, ErrNotModified); err != nil {
		if err == ErrNotModified {
			w.Header().Set("ETag", quoteETag(info.ETag))
			w.Header().Set("Last-Modified", info.LastModified.UTC().Format(http.TimeFormat))
		}
		return 0, 0, err
	}
	if err := checkPartNumber(q.Get("partNumber"), info); err != nil {
		return 0, 0, err
	}
	start, length = 0, info.Size
	whole := true
	if r, ok := parseRange(h.Get("Range")); ok {
		if start, length, err = r.resolve(info.Size); err != nil {
			return 0, 0, err
		}
		whole = false
	}
	out := w.Header()
	setObjectHeaders(out, info)
	if whole && strings.EqualFold(h.Get("X-Amz-Checksum-Mode"), "ENABLED") {
		// A checksum describes the whole object, so S3 sends it only then.
		setChecksumHeaders(out, info.Checksum)
	}
	if !whole {
		out.Set("Content-Range", "bytes "+strconv.FormatInt(start, 10)+"-"+
			strconv.FormatInt(start+length-1, 10)+"/"+strconv.FormatInt(info.Size, 10))
	}
	out.Set("Content-Length", strconv.FormatInt(length, 10))
	setResponseOverrides(out, q)
	return start, length, nil
}

// checkPartNumber accepts the partNumber query of GET and HEAD where the
// answer is the whole object: part 1 of an object not uploaded in parts,
// as S3 does. Other parts need part boundaries D3S does not keep.
func checkPartNumber(v string, info ObjectInfo) error {
	if v == "" {
		return nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > MaxPartNumber {
		return errorf(ErrInvalidArgument, "Part number must be an integer between 1 and 10000, inclusive.")
	}
	if info.PartsCount == 0 && n == 1 {
		return nil
	}
	if info.PartsCount == 0 {
		return ErrInvalidRange
	}
	return errorf(ErrNotImplemented, "Reading one part of a multipart object is not implemented.")
}

// setObjectHeaders sets the headers GET and HEAD report for info.
func setObjectHeaders(h http.Header, info ObjectInfo) {
	md := info.Metadata
	h.Set("ETag", quoteETag(info.ETag))
	h.Set("Last-Modified", info.LastModified.UTC().Format(http.TimeFormat))
	h.Set("Accept-Ranges", "bytes")
	ct := md.ContentType
	if ct == "" {
		ct = "binary/octet-stream"
	}
	h.Set("Content-Type", ct)
	for k, v := range map[string]string{
		"Content-Encoding": md.ContentEncoding, "Content-Disposition": md.ContentDisposition,
		"Content-Language": md.ContentLanguage, "Cache-Control": md.CacheControl,
		"Expires": md.Expires,
	} {
		if v != "" {
			h.Set(k, v)
		}
	}
	for k, v := range md.User {
		// Lower case as S3 sends them: net/http would canonicalize
		// "x-amz-meta-x" to "X-Amz-Meta-X", and boto3 keeps the case it sees.
		h[metaPrefix+k] = []string{v}
	}
	if info.PartsCount > 0 {
		h.Set("X-Amz-Mp-Parts-Count", strconv.Itoa(info.PartsCount))
	}
}

// setChecksumHeaders sets x-amz-checksum-<alg> and x-amz-checksum-type
// when c is set. A value of the form "<base64>-N" is a checksum of part
// checksums (COMPOSITE); anything else covers the whole object.
func setChecksumHeaders(h http.Header, c Checksum) {
	if c.Algorithm == "" {
		return
	}
	h.Set("X-Amz-Checksum-"+strings.ToLower(c.Algorithm), c.Value)
	typ := "FULL_OBJECT"
	if strings.Contains(c.Value, "-") {
		typ = "COMPOSITE"
	}
	h.Set("X-Amz-Checksum-Type", typ)
}

// responseOverrides maps GET's response-* query parameters to the header
// each replaces.
var responseOverrides = [...][2]string{
	{"response-content-type", "Content-Type"},
	{"response-content-language", "Content-Language"},
	{"response-expires", "Expires"},
	{"response-cache-control", "Cache-Control"},
	{"response-content-disposition", "Content-Disposition"},
	{"response-content-encoding", "Content-Encoding"},
}

func setResponseOverrides(h http.Header, q map[string][]string) {
	for _, o := range responseOverrides {
		if v, ok := q[o[0]]; ok && len(v) > 0 {
			h.Set(o[1], v[0])
		}
	}
}

// sendChunk is how many bytes are sent per write deadline: a client must
// take at least this much per writeIdleTimeout or be cut off.
const sendChunk = 1 << 20

// sendBody copies length bytes of r to w. Each chunk gets a fresh write
// deadline, so a client that stops reading is cut off, and is copied
// through io.LimitReader so that an *os.File goes through sendfile.
func sendBody(w http.ResponseWriter, r io.Reader, length int64) error {
	rc := http.NewResponseController(w)
	defer rc.SetWriteDeadline(time.Time{})
	for length > 0 {
		chunk := min(length, sendChunk)
		rc.SetWriteDeadline(time.Now().Add(writeIdleTimeout))
		n, err := io.Copy(w, io.LimitReader(r, chunk))
		length -= n
		if err != nil {
			return err
		}
		if n < chunk {
			return io.ErrUnexpectedEOF
		}
	}
	return nil
}
