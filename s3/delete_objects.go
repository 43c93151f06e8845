package s3

import (
	"bytes"
	"crypto/md5"
	"encoding/xml"
	"net/http"
	"sync"
)

// deleteRequest is the body of DeleteObjects.
type deleteRequest struct {
	XMLName xml.Name       `xml:"Delete"`
	Quiet   bool           `xml:"Quiet"`
	Objects []deleteObject `xml:"Object"`
}

// deleteObject is one Object of deleteRequest.
type deleteObject struct {
	Key       *string `xml:"Key"`
	VersionID string  `xml:"VersionId"`
}

// deleteResult is the body of a DeleteObjects response.
type deleteResult struct {
	XMLName xml.Name      `xml:"DeleteResult"`
	Xmlns   string        `xml:"xmlns,attr"`
	Deleted []deletedKey  `xml:"Deleted"`
	Errors  []deleteError `xml:"Error"`
}

// deletedKey is one Deleted element.
type deletedKey struct {
	Key       string `xml:"Key"`
	VersionID string `xml:"VersionId,omitempty"`
}

// deleteError is one Error element: a key that could not be deleted.
type deleteError struct {
	Key       string `xml:"Key"`
	VersionID string `xml:"VersionId,omitempty"`
	Code      Code   `xml:"Code"`
	Message   string `xml:"Message"`
}

// deleteParallelism bounds the concurrent store deletes of one request.
const deleteParallelism = 8

// parseDeleteRequest decodes a DeleteObjects document: 1..MaxDeleteObjects
// objects, each with a key (else MalformedXML, as S3).
func parseDeleteRequest(body []byte) (deleteRequest, error) {
	var doc deleteRequest
	if err := xml.Unmarshal(body, &doc); err != nil {
		return deleteRequest{}, ErrMalformedXML
	}
	if len(doc.Objects) == 0 || len(doc.Objects) > MaxDeleteObjects {
		return deleteRequest{}, ErrMalformedXML
	}
	for _, o := range doc.Objects {
		if o.Key == nil {
			return deleteRequest{}, ErrMalformedXML
		}
	}
	return doc, nil
}

// deleteObjects serves POST /bucket?delete.
func (s *Server) deleteObjects(w http.ResponseWriter, req *request) error {
	body, err := readSmallBody(req, maxDeleteBody)
	if err != nil {
		return err
	}
	if err := checkBodyMD5(req.r.Header, body); err != nil {
		return err
	}
	doc, err := parseDeleteRequest(body)
	if err != nil {
		return err
	}
	if _, err := s.store.HeadBucket(req.r.Context(), req.user, req.bucket); err != nil {
		return err
	}
	errs := s.deleteAll(req, doc.Objects)
	out := deleteResult{Xmlns: xmlNS}
	for i, o := range doc.Objects {
		if errs[i] != nil {
			c, msg := toCode(errs[i])
			out.Errors = append(out.Errors, deleteError{Key: *o.Key, VersionID: o.VersionID, Code: c, Message: msg})
		} else if !doc.Quiet {
			out.Deleted = append(out.Deleted, deletedKey{Key: *o.Key, VersionID: o.VersionID})
		}
	}
	return writeXML(w, http.StatusOK, out)
}

// checkBodyMD5 verifies an optional Content-MD5 against body.
func checkBodyMD5(h http.Header, body []byte) error {
	want, err := parseContentMD5(h)
	if err != nil || want == nil {
		return err
	}
	if sum := md5.Sum(body); !bytes.Equal(sum[:], want) {
		return ErrBadDigest
	}
	return nil
}

// deleteAll deletes objs with bounded parallelism and returns each one's
// error, in order.
func (s *Server) deleteAll(req *request, objs []deleteObject) []error {
	errs := make([]error, len(objs))
	sem := make(chan struct{}, deleteParallelism)
	var wg sync.WaitGroup
	for i, o := range objs {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			errs[i] = s.deleteOne(req, *o.Key, o.VersionID)
		}()
	}
	wg.Wait()
	return errs
}

// deleteOne deletes one key of a DeleteObjects request. Buckets are
// unversioned, so only the "null" version ID names an object.
func (s *Server) deleteOne(req *request, key, versionID string) error {
	switch {
	case versionID != "" && versionID != "null":
		return errorf(ErrInvalidArgument, "Invalid version id specified")
	case key == "":
		return errorf(ErrInvalidArgument, "Object key must not be empty.")
	}
	if err := CheckKey(key); err != nil {
		return err
	}
	err := s.store.DeleteObject(req.r.Context(), req.user, req.bucket, key)
	if err != nil && AsCode(err) == ErrInternalError {
		s.log.Error("delete object", "request_id", req.id, "bucket", req.bucket, "key", key, "err", err)
	}
	return err
}
