package s3

import (
	"net"
	"net/http"
	"net/url"
	"strings"
)

// handler is one S3 operation.
type handler func(s *Server, w http.ResponseWriter, req *request) error

// route resolves the bucket and key of an authenticated request, checks
// their names and runs the operation that method, path level and
// sub-resources select.
func (s *Server) route(w http.ResponseWriter, req *request) error {
	req.bucket, req.key = s.resource(req.r)
	if req.bucket != "" {
		if err := CheckBucketName(req.bucket); err != nil {
			return err
		}
	}
	if req.key != "" {
		if err := CheckKey(req.key); err != nil {
			return err
		}
	}
	h, err := pick(req)
	if err != nil {
		return err
	}
	return h(s, w, req)
}

// resource splits a request into bucket and key, virtual-hosted style
// when the Host is bucket.Domain and path style otherwise.
func (s *Server) resource(r *http.Request) (bucket, key string) {
	path := strings.TrimPrefix(r.URL.Path, "/")
	if b := s.hostBucket(r.Host); b != "" {
		return b, path
	}
	bucket, key, _ = strings.Cut(path, "/")
	return bucket, key
}

// hostBucket returns the bucket a virtual-hosted-style Host names, or "".
func (s *Server) hostBucket(host string) string {
	if s.domain == "" {
		return ""
	}
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	b, ok := strings.CutSuffix(host, "."+strings.ToLower(s.domain))
	if !ok {
		return ""
	}
	return b
}

// pick selects the operation of req.
func pick(req *request) (handler, error) {
	q := req.r.URL.Query()
	if err := checkSubresources(req.r.Method, q); err != nil {
		return nil, err
	}
	switch {
	case req.bucket == "":
		return serviceOp(req.r.Method)
	case req.key == "":
		return bucketOp(req.r.Method, q)
	default:
		return objectOp(req.r.Method, q, req.r.Header)
	}
}

func serviceOp(method string) (handler, error) {
	if method == http.MethodGet {
		return (*Server).listBuckets, nil
	}
	return nil, ErrMethodNotAllowed
}

func bucketOp(method string, q url.Values) (handler, error) {
	switch method {
	case http.MethodGet:
		return bucketGetOp(q)
	case http.MethodHead:
		return (*Server).headBucket, nil
	case http.MethodPut:
		return (*Server).createBucket, nil
	case http.MethodDelete:
		return (*Server).deleteBucket, nil
	case http.MethodPost:
		if q.Has("delete") {
			return (*Server).deleteObjects, nil
		}
		return nil, errorf(ErrNotImplemented, "POST object (browser-based upload) is not implemented.")
	}
	return nil, ErrMethodNotAllowed
}

func bucketGetOp(q url.Values) (handler, error) {
	switch {
	case q.Has("location"):
		return (*Server).getBucketLocation, nil
	case q.Has("versioning"):
		return (*Server).getBucketVersioning, nil
	case q.Has("acl"):
		return (*Server).getACL, nil
	case q.Has("uploads"):
		return (*Server).listMultipartUploads, nil
	case q.Get("list-type") == "2":
		return (*Server).listObjectsV2, nil
	case q.Has("list-type"):
		return nil, errorf(ErrInvalidArgument, "Invalid list-type.")
	}
	return (*Server).listObjectsV1, nil
}

func objectOp(method string, q url.Values, h http.Header) (handler, error) {
	copySource := h.Get("X-Amz-Copy-Source") != ""
	switch method {
	case http.MethodGet:
		switch {
		case q.Has("uploadId"):
			return (*Server).listParts, nil
		case q.Has("acl"):
			return (*Server).getACL, nil
		}
		return (*Server).getObject, nil
	case http.MethodHead:
		return (*Server).headObject, nil
	case http.MethodPut:
		switch {
		case q.Has("uploadId") && copySource:
			return (*Server).uploadPartCopy, nil
		case q.Has("uploadId"):
			return (*Server).uploadPart, nil
		case copySource:
			return (*Server).copyObject, nil
		}
		return (*Server).putObject, nil
	case http.MethodDelete:
		if q.Has("uploadId") {
			return (*Server).abortMultipartUpload, nil
		}
		return (*Server).deleteObject, nil
	case http.MethodPost:
		switch {
		case q.Has("uploads"):
			return (*Server).createMultipartUpload, nil
		case q.Has("uploadId"):
			return (*Server).completeMultipartUpload, nil
		}
	}
	return nil, ErrMethodNotAllowed
}
