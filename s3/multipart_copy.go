package s3

import (
	"encoding/xml"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// copyPartResult is the body of UploadPartCopy.
type copyPartResult struct {
	XMLName      xml.Name `xml:"CopyPartResult"`
	Xmlns        string   `xml:"xmlns,attr"`
	LastModified string   `xml:"LastModified"`
	ETag         string   `xml:"ETag"`
}

// uploadPartCopy serves PUT /bucket/key?partNumber=N&uploadId=ID with
// x-amz-copy-source. The source bytes stream from GetObject into
// UploadPart; the part is never buffered whole.
func (s *Server) uploadPartCopy(w http.ResponseWriter, req *request) error {
	part, uploadID, err := partTarget(req.r.URL.Query())
	if err != nil {
		return err
	}
	srcBucket, srcKey, err := copySource(req.r.Header)
	if err != nil {
		return err
	}
	rangeHdr := req.r.Header.Get("x-amz-copy-source-range")
	if rangeHdr != "" {
		if _, _, err := parseCopyRange(rangeHdr); err != nil {
			return err
		}
	}
	ctx := req.r.Context()
	info, rc, err := s.store.GetObject(ctx, req.user, srcBucket, srcKey)
	if err != nil {
		return err
	}
	defer rc.Close()
	if err := checkConditions(req.r.Header, copyConditions, info, ErrPreconditionFailed); err != nil {
		return err
	}
	body, size, err := copySourceSection(rc, info.Size, rangeHdr)
	if err != nil {
		return err
	}
	pi, err := s.store.UploadPart(ctx, req.user, req.bucket, req.key, uploadID, part, body, PutOptions{Size: size})
	if err != nil {
		return err
	}
	return writeXML(w, http.StatusOK, copyPartResult{Xmlns: xmlNS, LastModified: xmlTime(pi.LastModified), ETag: quoteETag(pi.ETag)})
}

// copySourceSection positions rc at the start of the range and returns a
// reader of exactly the range's bytes. No range copies the whole source,
// which must then be at most MaxPartSize (InvalidRequest, as S3).
func copySourceSection(rc io.ReadSeeker, srcSize int64, rangeHdr string) (io.Reader, int64, error) {
	if rangeHdr == "" {
		if srcSize > MaxPartSize {
			return nil, 0, errorf(ErrInvalidRequest, "The specified copy source is larger than the maximum allowable size for a copy source: %d", int64(MaxPartSize))
		}
		return rc, srcSize, nil
	}
	first, last, _ := parseCopyRange(rangeHdr)
	if last >= srcSize {
		return nil, 0, errorf(ErrInvalidRange, "The requested range is not satisfiable")
	}
	size := last - first + 1
	if size > MaxPartSize {
		return nil, 0, ErrEntityTooLarge
	}
	if _, err := rc.Seek(first, io.SeekStart); err != nil {
		return nil, 0, err
	}
	return io.LimitReader(rc, size), size, nil
}

// parseCopyRange parses x-amz-copy-source-range, which S3 accepts only as
// bytes=first-last with first <= last (else InvalidArgument).
func parseCopyRange(v string) (first, last int64, err error) {
	bad := errorf(ErrInvalidArgument, "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy")
	spec, ok := strings.CutPrefix(strings.TrimSpace(v), "bytes=")
	if !ok {
		return 0, 0, bad
	}
	a, b, ok := strings.Cut(spec, "-")
	if !ok {
		return 0, 0, bad
	}
	first, err1 := strconv.ParseInt(a, 10, 64)
	last, err2 := strconv.ParseInt(b, 10, 64)
	if err1 != nil || err2 != nil || first < 0 || last < first {
		return 0, 0, bad
	}
	return first, last, nil
}
