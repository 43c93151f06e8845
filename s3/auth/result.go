package auth

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"net/http"
	"strconv"
)

// streamState carries what the chunk signatures of a streaming body are
// chained to.
type streamState struct {
	key     []byte
	amzDate string
	scope   string
	seed    string // hex signature of the request
}

// result builds the Result of a request signed by accessKey, which owner
// owns: the body decoder that the payload mode calls for, with checksum
// verification.
func (v *Verifier) result(r *http.Request, accessKey string, owner any, payload string, sha []byte, st *streamState) (*Result, error) {
	sum, err := headerChecksum(r)
	if err != nil {
		return nil, err
	}
	trailer, err := announcedTrailer(r)
	if err != nil {
		return nil, err
	}
	res := &Result{AccessKeyID: accessKey, Owner: owner, ContentSHA256: sha}
	switch payload {
	case streamingSigned, streamingSignedTrailer, streamingUnsignedTrailer:
		err = streamingBody(r, res, payload, st, &sum, trailer)
	default:
		if trailer != nil {
			return nil, fmt.Errorf("x-amz-trailer without a streaming payload: %w", ErrInvalidChecksum)
		}
		res.Body, res.DecodedLength = requestBody(r), r.ContentLength
		if sum != nil {
			res.Body = &checksumReader{r: res.Body, sum: sum}
		}
	}
	if err != nil {
		return nil, err
	}
	if sum != nil {
		res.ChecksumAlgorithm, res.Checksum = sum.alg.name, sum.value
	}
	return res, nil
}

// streamingBody sets up the aws-chunked decoder for res.
func streamingBody(r *http.Request, res *Result, payload string, st *streamState, sum **checksumState, trailer *checksumAlg) error {
	trailers := payload != streamingSigned
	if trailer != nil {
		if !trailers || *sum != nil {
			return fmt.Errorf("x-amz-trailer with %s: %w", payload, ErrInvalidChecksum)
		}
		*sum = newChecksumState(trailer)
		if err := checkSDKAlgorithm(r, *sum); err != nil {
			return err
		}
	}
	declared, err := decodedLength(r)
	if err != nil {
		return err
	}
	var signer *chunkSigner
	if payload != streamingUnsignedTrailer {
		if st == nil {
			return fmt.Errorf("%s outside SigV4: %w", payload, ErrUnsupported)
		}
		signer = &chunkSigner{key: st.key, amzDate: st.amzDate, scope: st.scope, prev: st.seed}
	}
	res.Body = newChunkReader(requestBody(r), signer, trailers, trailer, *sum, declared)
	res.DecodedLength = declared
	return nil
}

// decodedLength parses x-amz-decoded-content-length; -1 when absent.
func decodedLength(r *http.Request) (int64, error) {
	v := r.Header.Get("X-Amz-Decoded-Content-Length")
	if v == "" {
		return -1, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("x-amz-decoded-content-length %.30q: %w", v, ErrMalformedChunk)
	}
	return n, nil
}

// CheckedBody reads a whole small body (at most limit bytes) and checks it
// against res.ContentSHA256 when set: ErrContentSHA256Mismatch. A body
// over limit is ErrBodyTooLarge.
func CheckedBody(res *Result, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(res.Body, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("body over %d bytes: %w", limit, ErrBodyTooLarge)
	}
	if res.ContentSHA256 != nil {
		if sum := sha256.Sum256(b); !bytes.Equal(sum[:], res.ContentSHA256) {
			return nil, ErrContentSHA256Mismatch
		}
	}
	return b, nil
}
