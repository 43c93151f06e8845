package s3

import (
	"encoding/xml"
	"net/http"
	"strings"
)

// listEntry is one Contents element of ListObjects (v1 and v2).
type listEntry struct {
	Key               string     `xml:"Key"`
	LastModified      string     `xml:"LastModified"`
	ETag              string     `xml:"ETag"`
	ChecksumAlgorithm string     `xml:"ChecksumAlgorithm,omitempty"`
	Size              int64      `xml:"Size"`
	Owner             *listOwner `xml:"Owner,omitempty"`
	StorageClass      string     `xml:"StorageClass"`
}

// listObjectsV1Result is the ListBucketResult of ListObjects.
type listObjectsV1Result struct {
	XMLName        xml.Name     `xml:"ListBucketResult"`
	Xmlns          string       `xml:"xmlns,attr"`
	Name           string       `xml:"Name"`
	Prefix         string       `xml:"Prefix"`
	Marker         string       `xml:"Marker"`
	NextMarker     string       `xml:"NextMarker,omitempty"`
	MaxKeys        int          `xml:"MaxKeys"`
	Delimiter      string       `xml:"Delimiter,omitempty"`
	IsTruncated    bool         `xml:"IsTruncated"`
	EncodingType   string       `xml:"EncodingType,omitempty"`
	Contents       []listEntry  `xml:"Contents"`
	CommonPrefixes []listPrefix `xml:"CommonPrefixes"`
}

// listObjectsV2Result is the ListBucketResult of ListObjectsV2.
type listObjectsV2Result struct {
	XMLName               xml.Name     `xml:"ListBucketResult"`
	Xmlns                 string       `xml:"xmlns,attr"`
	Name                  string       `xml:"Name"`
	Prefix                string       `xml:"Prefix"`
	KeyCount              int          `xml:"KeyCount"`
	MaxKeys               int          `xml:"MaxKeys"`
	Delimiter             string       `xml:"Delimiter,omitempty"`
	IsTruncated           bool         `xml:"IsTruncated"`
	EncodingType          string       `xml:"EncodingType,omitempty"`
	ContinuationToken     string       `xml:"ContinuationToken,omitempty"`
	NextContinuationToken string       `xml:"NextContinuationToken,omitempty"`
	StartAfter            string       `xml:"StartAfter,omitempty"`
	Contents              []listEntry  `xml:"Contents"`
	CommonPrefixes        []listPrefix `xml:"CommonPrefixes"`
}

// listEntries converts a page's objects; owner is nil unless requested.
func listEntries(objs []ObjectInfo, enc func(string) string, owner *listOwner) []listEntry {
	out := make([]listEntry, len(objs))
	for i, o := range objs {
		out[i] = listEntry{
			Key:               enc(o.Key),
			LastModified:      xmlTime(o.LastModified),
			ETag:              quoteETag(o.ETag),
			ChecksumAlgorithm: o.Checksum.Algorithm,
			Size:              o.Size,
			Owner:             owner,
			StorageClass:      "STANDARD",
		}
	}
	return out
}

// listObjectsV1 serves GET /bucket (ListObjects, marker pagination).
func (s *Server) listObjectsV1(w http.ResponseWriter, req *request) error {
	q := req.r.URL.Query()
	enc, encType, err := parseEncoding(q)
	if err != nil {
		return err
	}
	maxKeys, err := parseMaxCount(q, "max-keys")
	if err != nil {
		return err
	}
	opts := ListOptions{Prefix: q.Get("prefix"), Delimiter: q.Get("delimiter"), After: q.Get("marker"), MaxKeys: maxKeys}
	res, err := s.store.ListObjects(req.r.Context(), req.user, req.bucket, opts)
	if err != nil {
		return err
	}
	out := listObjectsV1Result{
		Xmlns: xmlNS, Name: req.bucket, Prefix: enc(opts.Prefix), Marker: enc(opts.After),
		MaxKeys: maxKeys, Delimiter: enc(opts.Delimiter), IsTruncated: res.IsTruncated, EncodingType: encType,
		Contents:       listEntries(res.Objects, enc, ownerOf(req.user)),
		CommonPrefixes: commonPrefixes(res.CommonPrefixes, enc),
	}
	if res.IsTruncated {
		out.NextMarker = enc(res.NextAfter)
	}
	return writeXML(w, http.StatusOK, out)
}

// listObjectsV2 serves GET /bucket?list-type=2 (continuation tokens).
func (s *Server) listObjectsV2(w http.ResponseWriter, req *request) error {
	q := req.r.URL.Query()
	enc, encType, err := parseEncoding(q)
	if err != nil {
		return err
	}
	maxKeys, err := parseMaxCount(q, "max-keys")
	if err != nil {
		return err
	}
	opts := ListOptions{Prefix: q.Get("prefix"), Delimiter: q.Get("delimiter"), After: q.Get("start-after"), MaxKeys: maxKeys}
	token := q.Get("continuation-token")
	if token != "" {
		if opts.After, err = decodeToken(token); err != nil {
			return err
		}
	}
	res, err := s.store.ListObjects(req.r.Context(), req.user, req.bucket, opts)
	if err != nil {
		return err
	}
	var owner *listOwner
	if strings.EqualFold(q.Get("fetch-owner"), "true") {
		owner = ownerOf(req.user)
	}
	out := listObjectsV2Result{
		Xmlns: xmlNS, Name: req.bucket, Prefix: enc(opts.Prefix),
		KeyCount: len(res.Objects) + len(res.CommonPrefixes), MaxKeys: maxKeys,
		Delimiter: enc(opts.Delimiter), IsTruncated: res.IsTruncated, EncodingType: encType,
		ContinuationToken: token, StartAfter: enc(q.Get("start-after")),
		Contents:       listEntries(res.Objects, enc, owner),
		CommonPrefixes: commonPrefixes(res.CommonPrefixes, enc),
	}
	if res.IsTruncated {
		out.NextContinuationToken = encodeToken(res.NextAfter)
	}
	return writeXML(w, http.StatusOK, out)
}
