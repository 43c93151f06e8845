package node

import (
	"errors"
	"fmt"
	"io"

	"github.com/d3s/d3s/catalog"
	"github.com/d3s/d3s/s3"
	"github.com/d3s/d3s/swarm"
)

// s3Codes is the one table translating lower-level sentinel errors into
// the S3 error codes clients see. Errors not listed pass through unchanged
// (a body read error must reach the protocol layer as it was) and become
// InternalError unless they already carry a Code.
var s3Codes = []struct {
	err  error
	code s3.Code
}{
	{catalog.ErrNoSuchBucket, s3.ErrNoSuchBucket},
	{catalog.ErrBucketExists, s3.ErrBucketAlreadyOwnedByYou},
	{catalog.ErrBucketNotEmpty, s3.ErrBucketNotEmpty},
	{catalog.ErrNotFound, s3.ErrNoSuchKey},
	{catalog.ErrNoSuchUpload, s3.ErrNoSuchUpload},
	{swarm.ErrSizeMismatch, s3.ErrIncompleteBody},
	{swarm.ErrMD5Mismatch, s3.ErrBadDigest},
	{swarm.ErrSHA256Mismatch, s3.ErrXAmzContentSHA256Mismatch},
	{catalog.ErrConflict, s3.ErrConditionalRequestConflict},
	{catalog.ErrUnavailable, s3.ErrServiceUnavailable},
}

// toS3 returns err with its S3 code in front, keeping err in the chain.
func toS3(err error) error {
	if err == nil {
		return nil
	}
	var code s3.Code
	if errors.As(err, &code) {
		return err
	}
	for _, t := range s3Codes {
		if errors.Is(err, t.err) {
			return fmt.Errorf("%w: %w", t.code, err)
		}
	}
	return err
}

// stallIsSlowDown is a remote object's reader whose stalls (no holder
// delivered, swarm.ErrStalled) reach the client as 503 SlowDown, which it
// retries, when they happen before the response has started.
type stallIsSlowDown struct{ io.ReadSeekCloser }

func (r stallIsSlowDown) Read(b []byte) (int, error) {
	n, err := r.ReadSeekCloser.Read(b)
	if errors.Is(err, swarm.ErrStalled) {
		err = fmt.Errorf("%w: %w", s3.ErrSlowDown, err)
	}
	return n, err
}
