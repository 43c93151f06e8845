package s3

import (
	"net/http"

	"github.com/d3s/d3s/s3/auth"
)

// request is one authenticated S3 request after routing.
type request struct {
	id     string // x-amz-request-id
	user   User
	bucket string // "" for service-level requests
	key    string // "" for bucket-level requests
	auth   *auth.Result
	r      *http.Request
}
