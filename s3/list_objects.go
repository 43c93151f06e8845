package s3

import (
	"encoding/xml"
	"net/http"
	"net/url"
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

// listQuery is what ListObjects v1 and v2 parse alike: the key encoding,
// the page size and the prefix and delimiter.
type listQuery struct {
	enc     func(string) string
	encType string
	opts    ListOptions
}

// parseListQuery reads the parameters both versions share.
func parseListQuery(q url.Values) (listQuery, error) {
	enc, encType, err := parseEncoding(q)
	if err != nil {
		return listQuery{}, err
	}
	maxKeys, err := parseMaxCount(q, "max-keys")
	if err != nil {
		return listQuery{}, err
	}
	opts := ListOptions{Prefix: q.Get("prefix"), Delimiter: q.Get("delimiter"), MaxKeys: maxKeys}
	return listQuery{enc: enc, encType: encType, opts: opts}, nil
}

// listObjectsV1 serves GET /bucket (ListObjects, marker pagination).
func (s *Server) listObjectsV1(w http.ResponseWriter, req *request) error {
	q := req.r.URL.Query()
	lq, err := parseListQuery(q)
	if err != nil {
		return err
	}
	lq.opts.After = q.Get("marker")
	res, err := s.store.ListObjects(req.r.Context(), req.user, req.bucket, lq.opts)
	if err != nil {
		return err
	}
	enc := lq.enc
	out := listObjectsV1Result{
		Xmlns: xmlNS, Name: req.bucket, Prefix: enc(lq.opts.Prefix), Marker: enc(lq.opts.After),
		MaxKeys: lq.opts.MaxKeys, Delimiter: enc(lq.opts.Delimiter), IsTruncated: res.IsTruncated, EncodingType: lq.encType,
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
	lq, err := parseListQuery(q)
	if err != nil {
		return err
	}
	lq.opts.After = q.Get("start-after")
	token := q.Get("continuation-token")
	if token != "" {
		if lq.opts.After, err = decodeToken(token); err != nil {
			return err
		}
	}
	res, err := s.store.ListObjects(req.r.Context(), req.user, req.bucket, lq.opts)
	if err != nil {
		return err
	}
	var owner *listOwner
	if strings.EqualFold(q.Get("fetch-owner"), "true") {
		owner = ownerOf(req.user)
	}
	enc := lq.enc
	out := listObjectsV2Result{
		Xmlns: xmlNS, Name: req.bucket, Prefix: enc(lq.opts.Prefix),
		KeyCount: len(res.Objects) + len(res.CommonPrefixes), MaxKeys: lq.opts.MaxKeys,
		Delimiter: enc(lq.opts.Delimiter), IsTruncated: res.IsTruncated, EncodingType: lq.encType,
		ContinuationToken: token, StartAfter: enc(q.Get("start-after")),
		Contents:       listEntries(res.Objects, enc, owner),
		CommonPrefixes: commonPrefixes(res.CommonPrefixes, enc),
	}
	if res.IsTruncated {
		out.NextContinuationToken = encodeToken(res.NextAfter)
	}
	return writeXML(w, http.StatusOK, out)
}
