package s3

import (
	"encoding/xml"
	"net/http"
)

type copyObjectResult struct {
	XMLName      xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ CopyObjectResult"`
	ETag         string   `xml:"ETag"`
	LastModified string   `xml:"LastModified"`
}

// copyObject answers CopyObject: the store copies without the bytes
// passing through here.
func (s *Server) copyObject(w http.ResponseWriter, req *request) error {
	h := req.r.Header
	srcBucket, srcKey, err := copySource(h)
	if err != nil {
		return err
	}
	opts, err := copyOptions(h)
	if err != nil {
		return err
	}
	if srcBucket == req.bucket && srcKey == req.key && opts.Metadata == nil {
		return errorf(ErrInvalidRequest, "This copy request is illegal because it is trying to copy an "+
			"object to itself without changing the object's metadata, storage class, website "+
			"redirect location or encryption attributes.")
	}
	info, err := s.store.CopyObject(req.r.Context(), req.user, srcBucket, srcKey, req.bucket, req.key, opts)
	if err != nil {
		return err
	}
	setChecksumHeaders(w.Header(), info.Checksum)
	return writeXML(w, http.StatusOK, copyObjectResult{
		ETag: quoteETag(info.ETag), LastModified: xmlTime(info.LastModified)})
}

// copySource parses and checks x-amz-copy-source.
func copySource(h http.Header) (bucket, key string, err error) {
	bucket, key, err = parseCopySource(h.Get("X-Amz-Copy-Source"))
	if err != nil {
		return "", "", err
	}
	if err := CheckBucketName(bucket); err != nil {
		return "", "", err
	}
	return bucket, key, CheckKey(key)
}

// copyOptions reads the metadata directive, the destination conditions
// and the x-amz-copy-source-if-* conditions on the source.
func copyOptions(h http.Header) (CopyOptions, error) {
	if err := checkWriteHeaders(h); err != nil {
		return CopyOptions{}, err
	}
	var opts CopyOptions
	switch h.Get("X-Amz-Metadata-Directive") {
	case "", "COPY":
	case "REPLACE":
		md, err := parseMetadata(h)
		if err != nil {
			return CopyOptions{}, err
		}
		opts.Metadata = &md
	default:
		return CopyOptions{}, errorf(ErrInvalidArgument, "Unknown metadata directive.")
	}
	var err error
	if opts.IfMatch, opts.IfNoneMatch, err = writeConditions(h); err != nil {
		return CopyOptions{}, err
	}
	opts.Precondition = func(src ObjectInfo) error {
		if err := checkConditions(h, copyConditions, src, ErrPreconditionFailed); err != nil {
			return err
		}
		if src.Size > MaxPartSize {
			return errorf(ErrInvalidRequest, "The specified copy source is larger than the maximum "+
				"allowable size for a copy source: %d", int64(MaxPartSize))
		}
		return nil
	}
	return opts, nil
}
