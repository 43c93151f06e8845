package s3

import (
	"encoding/xml"
	"net/http"
	"net/url"
)

// completeRequest is the body of CompleteMultipartUpload.
type completeRequest struct {
	XMLName xml.Name       `xml:"CompleteMultipartUpload"`
	Parts   []completePart `xml:"Part"`
}

// completePart is one Part of completeRequest. Checksums are accepted and
// ignored: each part's checksum was verified when it was uploaded.
type completePart struct {
	PartNumber int    `xml:"PartNumber"`
	ETag       string `xml:"ETag"`
}

// completeResult is the body of a successful CompleteMultipartUpload.
type completeResult struct {
	XMLName        xml.Name `xml:"CompleteMultipartUploadResult"`
	Xmlns          string   `xml:"xmlns,attr"`
	Location       string   `xml:"Location"`
	Bucket         string   `xml:"Bucket"`
	Key            string   `xml:"Key"`
	ETag           string   `xml:"ETag"`
	ChecksumCRC32  string   `xml:"ChecksumCRC32,omitempty"`
	ChecksumCRC32C string   `xml:"ChecksumCRC32C,omitempty"`
	ChecksumCRC64  string   `xml:"ChecksumCRC64NVME,omitempty"`
	ChecksumSHA1   string   `xml:"ChecksumSHA1,omitempty"`
	ChecksumSHA256 string   `xml:"ChecksumSHA256,omitempty"`
}

// parseCompleteParts decodes a CompleteMultipartUpload document: at least
// one part (else MalformedXML), at most MaxPartNumber (else
// InvalidArgument), part numbers in range, ETags with or without quotes.
// It does not check the order: the store answers InvalidPartOrder.
func parseCompleteParts(body []byte) ([]CompletedPart, error) {
	var doc completeRequest
	if err := xml.Unmarshal(body, &doc); err != nil {
		return nil, ErrMalformedXML
	}
	if len(doc.Parts) == 0 {
		return nil, ErrMalformedXML
	}
	if len(doc.Parts) > MaxPartNumber {
		return nil, errorf(ErrTooManyParts, "Part number must be an integer between 1 and %d, inclusive", MaxPartNumber)
	}
	parts := make([]CompletedPart, len(doc.Parts))
	for i, p := range doc.Parts {
		if p.PartNumber < 1 || p.PartNumber > MaxPartNumber {
			return nil, errorf(ErrInvalidArgument, "Part number must be an integer between 1 and %d, inclusive", MaxPartNumber)
		}
		parts[i] = CompletedPart{Number: p.PartNumber, ETag: unquoteETag(p.ETag)}
	}
	return parts, nil
}

// completeMultipartUpload serves POST /bucket/key?uploadId=ID.
func (s *Server) completeMultipartUpload(w http.ResponseWriter, req *request) error {
	uploadID := req.r.URL.Query().Get("uploadId")
	if uploadID == "" {
		return ErrNoSuchUpload
	}
	var opts PutOptions
	var err error
	if opts.IfMatch, opts.IfNoneMatch, err = writeConditions(req.r.Header); err != nil {
		return err
	}
	body, err := readSmallBody(req, maxCompleteBody)
	if err != nil {
		return err
	}
	parts, err := parseCompleteParts(body)
	if err != nil {
		return err
	}
	info, err := s.store.CompleteMultipartUpload(req.r.Context(), req.user, req.bucket, req.key, uploadID, parts, opts)
	if err != nil {
		return err
	}
	out := completeResult{
		Xmlns: xmlNS, Location: s.objectLocation(req), Bucket: req.bucket, Key: req.key, ETag: quoteETag(info.ETag),
	}
	setResultChecksum(&out, info.Checksum)
	if info.VersionID != "" && info.VersionID != "null" {
		w.Header().Set("x-amz-version-id", info.VersionID)
	}
	return writeXML(w, http.StatusOK, out)
}

// setResultChecksum fills the checksum element of c's algorithm.
func setResultChecksum(out *completeResult, c Checksum) {
	switch c.Algorithm {
	case "CRC32":
		out.ChecksumCRC32 = c.Value
	case "CRC32C":
		out.ChecksumCRC32C = c.Value
	case "CRC64NVME":
		out.ChecksumCRC64 = c.Value
	case "SHA1":
		out.ChecksumSHA1 = c.Value
	case "SHA256":
		out.ChecksumSHA256 = c.Value
	}
}

// objectLocation is the URL of req's object as the client addressed the
// server: virtual-hosted when the Host names the bucket, else path style.
func (s *Server) objectLocation(req *request) string {
	scheme := "http"
	if req.r.TLS != nil {
		scheme = "https"
	}
	if p := req.r.Header.Get("X-Forwarded-Proto"); p == "http" || p == "https" {
		scheme = p
	}
	path := "/" + req.bucket + "/" + req.key
	if s.hostBucket(req.r.Host) != "" {
		path = "/" + req.key
	}
	u := url.URL{Scheme: scheme, Host: req.r.Host, Path: path}
	return u.String()
}
