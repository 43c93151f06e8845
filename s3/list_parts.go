package s3

import (
	"encoding/xml"
	"net/http"
	"strconv"
)

// listPartsResult is the body of ListParts.
type listPartsResult struct {
	XMLName              xml.Name     `xml:"ListPartsResult"`
	Xmlns                string       `xml:"xmlns,attr"`
	Bucket               string       `xml:"Bucket"`
	Key                  string       `xml:"Key"`
	UploadID             string       `xml:"UploadId"`
	Initiator            *listOwner   `xml:"Initiator"`
	Owner                *listOwner   `xml:"Owner"`
	StorageClass         string       `xml:"StorageClass"`
	PartNumberMarker     int          `xml:"PartNumberMarker"`
	NextPartNumberMarker int          `xml:"NextPartNumberMarker"`
	MaxParts             int          `xml:"MaxParts"`
	IsTruncated          bool         `xml:"IsTruncated"`
	Parts                []listedPart `xml:"Part"`
}

// listedPart is one Part of listPartsResult.
type listedPart struct {
	PartNumber     int    `xml:"PartNumber"`
	LastModified   string `xml:"LastModified"`
	ETag           string `xml:"ETag"`
	Size           int64  `xml:"Size"`
	ChecksumCRC32  string `xml:"ChecksumCRC32,omitempty"`
	ChecksumCRC32C string `xml:"ChecksumCRC32C,omitempty"`
	ChecksumCRC64  string `xml:"ChecksumCRC64NVME,omitempty"`
	ChecksumSHA1   string `xml:"ChecksumSHA1,omitempty"`
	ChecksumSHA256 string `xml:"ChecksumSHA256,omitempty"`
}

// newListedPart converts p, its checksum in the element of its algorithm.
func newListedPart(p PartInfo) listedPart {
	lp := listedPart{PartNumber: p.Number, LastModified: xmlTime(p.LastModified), ETag: quoteETag(p.ETag), Size: p.Size}
	v := p.Checksum.Value
	switch p.Checksum.Algorithm {
	case "CRC32":
		lp.ChecksumCRC32 = v
	case "CRC32C":
		lp.ChecksumCRC32C = v
	case "CRC64NVME":
		lp.ChecksumCRC64 = v
	case "SHA1":
		lp.ChecksumSHA1 = v
	case "SHA256":
		lp.ChecksumSHA256 = v
	}
	return lp
}

// listParts serves GET /bucket/key?uploadId=ID.
func (s *Server) listParts(w http.ResponseWriter, req *request) error {
	q := req.r.URL.Query()
	uploadID := q.Get("uploadId")
	if uploadID == "" {
		return ErrNoSuchUpload
	}
	maxParts, err := parseMaxCount(q, "max-parts")
	if err != nil {
		return err
	}
	marker := 0
	if v := q.Get("part-number-marker"); v != "" {
		if marker, err = strconv.Atoi(v); err != nil || marker < 0 {
			return errorf(ErrInvalidArgument, "Provided part-number-marker not an integer or within integer range")
		}
	}
	res, err := s.partsPage(req, uploadID, marker, maxParts)
	if err != nil {
		return err
	}
	out := listPartsResult{
		Xmlns: xmlNS, Bucket: req.bucket, Key: req.key, UploadID: uploadID,
		Initiator: ownerOf(req.user), Owner: ownerOf(req.user), StorageClass: "STANDARD",
		PartNumberMarker: marker, NextPartNumberMarker: res.NextPartNumberMarker,
		MaxParts: maxParts, IsTruncated: res.IsTruncated, Parts: make([]listedPart, len(res.Parts)),
	}
	for i, p := range res.Parts {
		out.Parts[i] = newListedPart(p)
	}
	if n := len(res.Parts); n > 0 && !res.IsTruncated {
		out.NextPartNumberMarker = res.Parts[n-1].Number
	}
	return writeXML(w, http.StatusOK, out)
}

// partsPage asks the store for a page. The store takes 1..1000 parts; a
// max-parts of 0 still checks the upload exists and reports whether parts
// follow the marker, with none listed.
func (s *Server) partsPage(req *request, uploadID string, marker, maxParts int) (ListPartsResult, error) {
	opts := ListPartsOptions{PartNumberMarker: marker, MaxParts: max(maxParts, 1)}
	res, err := s.store.ListParts(req.r.Context(), req.user, req.bucket, req.key, uploadID, opts)
	if err != nil || maxParts > 0 {
		return res, err
	}
	return ListPartsResult{IsTruncated: len(res.Parts) > 0, NextPartNumberMarker: marker}, nil
}
