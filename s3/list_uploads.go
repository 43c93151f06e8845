package s3

import (
	"encoding/xml"
	"net/http"
)

// listUploadsResult is the body of ListMultipartUploads.
type listUploadsResult struct {
	XMLName            xml.Name     `xml:"ListMultipartUploadsResult"`
	Xmlns              string       `xml:"xmlns,attr"`
	Bucket             string       `xml:"Bucket"`
	KeyMarker          string       `xml:"KeyMarker"`
	UploadIDMarker     string       `xml:"UploadIdMarker"`
	NextKeyMarker      string       `xml:"NextKeyMarker"`
	NextUploadIDMarker string       `xml:"NextUploadIdMarker"`
	Delimiter          string       `xml:"Delimiter,omitempty"`
	Prefix             string       `xml:"Prefix"`
	MaxUploads         int          `xml:"MaxUploads"`
	IsTruncated        bool         `xml:"IsTruncated"`
	EncodingType       string       `xml:"EncodingType,omitempty"`
	Uploads            []listUpload `xml:"Upload"`
	CommonPrefixes     []listPrefix `xml:"CommonPrefixes"`
}

// listUpload is one Upload of listUploadsResult.
type listUpload struct {
	Key          string     `xml:"Key"`
	UploadID     string     `xml:"UploadId"`
	Initiator    *listOwner `xml:"Initiator"`
	Owner        *listOwner `xml:"Owner"`
	StorageClass string     `xml:"StorageClass"`
	Initiated    string     `xml:"Initiated"`
}

// listMultipartUploads serves GET /bucket?uploads.
func (s *Server) listMultipartUploads(w http.ResponseWriter, req *request) error {
	q := req.r.URL.Query()
	enc, encType, err := parseEncoding(q)
	if err != nil {
		return err
	}
	maxUploads, err := parseMaxCount(q, "max-uploads")
	if err != nil {
		return err
	}
	opts := ListUploadsOptions{
		Prefix: q.Get("prefix"), Delimiter: q.Get("delimiter"),
		KeyMarker: q.Get("key-marker"), UploadIDMarker: q.Get("upload-id-marker"),
	}
	if opts.KeyMarker == "" {
		opts.UploadIDMarker = "" // S3 ignores upload-id-marker without key-marker
	}
	res, err := s.uploadsPage(req, opts, maxUploads)
	if err != nil {
		return err
	}
	out := listUploadsResult{
		Xmlns: xmlNS, Bucket: req.bucket, KeyMarker: enc(opts.KeyMarker), UploadIDMarker: opts.UploadIDMarker,
		Delimiter: enc(opts.Delimiter), Prefix: enc(opts.Prefix), MaxUploads: maxUploads,
		IsTruncated: res.IsTruncated, EncodingType: encType,
		Uploads:        make([]listUpload, len(res.Uploads)),
		CommonPrefixes: commonPrefixes(res.CommonPrefixes, enc),
	}
	if res.IsTruncated {
		out.NextKeyMarker, out.NextUploadIDMarker = enc(res.NextKeyMarker), res.NextUploadIDMarker
	}
	owner := ownerOf(req.user)
	for i, u := range res.Uploads {
		out.Uploads[i] = listUpload{
			Key: enc(u.Key), UploadID: u.UploadID, Initiator: owner, Owner: owner,
			StorageClass: "STANDARD", Initiated: xmlTime(u.Initiated),
		}
	}
	return writeXML(w, http.StatusOK, out)
}

// uploadsPage asks the store for a page of at most maxUploads entries. The
// store takes 1..1000; max-uploads=0 still checks the bucket and reports
// whether entries follow, with none listed.
func (s *Server) uploadsPage(req *request, opts ListUploadsOptions, maxUploads int) (ListUploadsResult, error) {
	opts.MaxUploads = max(maxUploads, 1)
	res, err := s.store.ListMultipartUploads(req.r.Context(), req.user, req.bucket, opts)
	if err != nil || maxUploads > 0 {
		return res, err
	}
	return ListUploadsResult{IsTruncated: len(res.Uploads)+len(res.CommonPrefixes) > 0}, nil
}
