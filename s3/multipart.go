package s3

import (
	"encoding/xml"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// initiateResult is the body of CreateMultipartUpload.
type initiateResult struct {
	XMLName  xml.Name `xml:"InitiateMultipartUploadResult"`
	Xmlns    string   `xml:"xmlns,attr"`
	Bucket   string   `xml:"Bucket"`
	Key      string   `xml:"Key"`
	UploadID string   `xml:"UploadId"`
}

// createMultipartUpload serves POST /bucket/key?uploads.
func (s *Server) createMultipartUpload(w http.ResponseWriter, req *request) error {
	if err := checkWriteHeaders(req.r.Header); err != nil {
		return err
	}
	md, err := parseMetadata(req.r.Header)
	if err != nil {
		return err
	}
	id, err := s.store.CreateMultipartUpload(req.r.Context(), req.user, req.bucket, req.key, PutOptions{Metadata: md})
	if err != nil {
		return err
	}
	return writeXML(w, http.StatusOK, initiateResult{Xmlns: xmlNS, Bucket: req.bucket, Key: req.key, UploadID: id})
}

// uploadPart serves PUT /bucket/key?partNumber=N&uploadId=ID.
func (s *Server) uploadPart(w http.ResponseWriter, req *request) error {
	part, uploadID, err := partTarget(req.r.URL.Query())
	if err != nil {
		return err
	}
	opts, err := req.putOptions()
	if err != nil {
		return err
	}
	if opts.Size > MaxPartSize {
		return ErrEntityTooLarge
	}
	info, err := s.store.UploadPart(req.r.Context(), req.user, req.bucket, req.key, uploadID, part, req.auth.Body, opts)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("ETag", quoteETag(info.ETag))
	if info.Checksum.Algorithm != "" {
		h.Set("x-amz-checksum-"+strings.ToLower(info.Checksum.Algorithm), info.Checksum.Value)
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// abortMultipartUpload serves DELETE /bucket/key?uploadId=ID.
func (s *Server) abortMultipartUpload(w http.ResponseWriter, req *request) error {
	uploadID := req.r.URL.Query().Get("uploadId")
	if uploadID == "" {
		return ErrNoSuchUpload
	}
	if err := s.store.AbortMultipartUpload(req.r.Context(), req.user, req.bucket, req.key, uploadID); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// partTarget reads the partNumber and uploadId of an UploadPart or
// UploadPartCopy request.
func partTarget(q url.Values) (part int, uploadID string, err error) {
	if part, err = parsePartNumber(q.Get("partNumber")); err != nil {
		return 0, "", err
	}
	if uploadID = q.Get("uploadId"); uploadID == "" {
		return 0, "", ErrNoSuchUpload
	}
	return part, uploadID, nil
}

// parsePartNumber parses a partNumber parameter: an integer in
// 1..MaxPartNumber, else InvalidArgument.
func parsePartNumber(v string) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > MaxPartNumber {
		return 0, errorf(ErrInvalidArgument, "Part number must be an integer between 1 and %d, inclusive", MaxPartNumber)
	}
	return n, nil
}
