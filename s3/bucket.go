package s3

import (
	"encoding/xml"
	"net/http"
	"strconv"
	"strings"
)

type listBucketsResult struct {
	XMLName           xml.Name       `xml:"http://s3.amazonaws.com/doc/2006-03-01/ ListAllMyBucketsResult"`
	Owner             *listOwner     `xml:"Owner"`
	Buckets           []bucketResult `xml:"Buckets>Bucket"`
	ContinuationToken string         `xml:"ContinuationToken,omitempty"`
	Prefix            string         `xml:"Prefix,omitempty"`
}

type bucketResult struct {
	Name         string `xml:"Name"`
	CreationDate string `xml:"CreationDate"`
	BucketRegion string `xml:"BucketRegion,omitempty"`
}

// listBuckets answers ListBuckets, with its optional prefix, max-buckets
// and continuation-token (the last bucket name of the previous page).
func (s *Server) listBuckets(w http.ResponseWriter, req *request) error {
	q := req.r.URL.Query()
	limit := 10000
	if v := q.Get("max-buckets"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 10000 {
			return errorf(ErrInvalidArgument, "max-buckets must be an integer between 1 and 10000.")
		}
		limit = n
	}
	buckets, err := s.store.ListBuckets(req.r.Context(), req.user)
	if err != nil {
		return err
	}
	res := listBucketsResult{Owner: ownerOf(req.user), Prefix: q.Get("prefix"), Buckets: []bucketResult{}}
	after := q.Get("continuation-token")
	for _, b := range buckets {
		if b.Name <= after || !strings.HasPrefix(b.Name, res.Prefix) {
			continue
		}
		if len(res.Buckets) == limit {
			res.ContinuationToken = res.Buckets[limit-1].Name
			break
		}
		res.Buckets = append(res.Buckets, bucketResult{
			Name: b.Name, CreationDate: xmlTime(b.Created), BucketRegion: s.region})
	}
	return writeXML(w, http.StatusOK, res)
}

// createBucketConfiguration is CreateBucket's optional body. Any
// LocationConstraint is accepted: a D3S network has one region.
type createBucketConfiguration struct {
	XMLName            xml.Name `xml:"CreateBucketConfiguration"`
	LocationConstraint string   `xml:"LocationConstraint"`
}

// createBucket answers CreateBucket.
func (s *Server) createBucket(w http.ResponseWriter, req *request) error {
	h := req.r.Header
	if strings.EqualFold(h.Get("X-Amz-Bucket-Object-Lock-Enabled"), "true") {
		return errorf(ErrNotImplemented, "Object lock is not implemented.")
	}
	if err := checkWriteHeaders(h); err != nil {
		return err
	}
	if req.auth.DecodedLength != 0 {
		var cfg createBucketConfiguration
		if err := readXML(req, 64<<10, &cfg); err != nil {
			return err
		}
	}
	if err := s.store.CreateBucket(req.r.Context(), req.user, req.bucket); err != nil {
		return err
	}
	w.Header().Set("Location", "/"+req.bucket)
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusOK)
	return nil
}

// headBucket answers HeadBucket.
func (s *Server) headBucket(w http.ResponseWriter, req *request) error {
	if _, err := s.store.HeadBucket(req.r.Context(), req.user, req.bucket); err != nil {
		return err
	}
	w.Header().Set("X-Amz-Bucket-Region", s.region)
	w.WriteHeader(http.StatusOK)
	return nil
}

// deleteBucket answers DeleteBucket.
func (s *Server) deleteBucket(w http.ResponseWriter, req *request) error {
	if err := s.store.DeleteBucket(req.r.Context(), req.user, req.bucket); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type locationConstraint struct {
	XMLName xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ LocationConstraint"`
	Region  string   `xml:",chardata"`
}

// getBucketLocation answers GetBucketLocation; us-east-1 is reported as
// the empty constraint, as S3 does.
func (s *Server) getBucketLocation(w http.ResponseWriter, req *request) error {
	if _, err := s.store.HeadBucket(req.r.Context(), req.user, req.bucket); err != nil {
		return err
	}
	res := locationConstraint{Region: s.region}
	if s.region == "us-east-1" {
		res.Region = ""
	}
	return writeXML(w, http.StatusOK, res)
}

type versioningConfiguration struct {
	XMLName xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ VersioningConfiguration"`
}

// getBucketVersioning answers GetBucketVersioning: versioning has never
// been enabled on a D3S bucket, which S3 reports as an empty document.
func (s *Server) getBucketVersioning(w http.ResponseWriter, req *request) error {
	if _, err := s.store.HeadBucket(req.r.Context(), req.user, req.bucket); err != nil {
		return err
	}
	return writeXML(w, http.StatusOK, versioningConfiguration{})
}

type accessControlPolicy struct {
	XMLName xml.Name   `xml:"http://s3.amazonaws.com/doc/2006-03-01/ AccessControlPolicy"`
	Owner   *listOwner `xml:"Owner"`
	Grants  []grant    `xml:"AccessControlList>Grant"`
}

type grant struct {
	Grantee    grantee `xml:"Grantee"`
	Permission string  `xml:"Permission"`
}

type grantee struct {
	XMLNSXSI    string `xml:"xmlns:xsi,attr"`
	Type        string `xml:"xsi:type,attr"`
	ID          string `xml:"ID"`
	DisplayName string `xml:"DisplayName"`
}

// getACL answers GetBucketAcl and GetObjectAcl: only the owner has access
// to anything in D3S, with FULL_CONTROL.
func (s *Server) getACL(w http.ResponseWriter, req *request) error {
	ctx := req.r.Context()
	var err error
	if req.key == "" {
		_, err = s.store.HeadBucket(ctx, req.user, req.bucket)
	} else {
		_, err = s.store.HeadObject(ctx, req.user, req.bucket, req.key)
	}
	if err != nil {
		return err
	}
	o := ownerOf(req.user)
	return writeXML(w, http.StatusOK, accessControlPolicy{Owner: o, Grants: []grant{{
		Grantee: grantee{
			XMLNSXSI: "http://www.w3.org/2001/XMLSchema-instance", Type: "CanonicalUser",
			ID: o.ID, DisplayName: o.DisplayName,
		},
		Permission: "FULL_CONTROL",
	}}})
}
