package s3test

import (
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"fmt"
	"hash"
	"io"

	"github.com/d3s/d3s/s3"
)

// maxPrealloc bounds the buffer allocated up front from a claimed size, so a
// bogus Content-Length cannot make the store allocate it.
const maxPrealloc = 16 << 20

// body is a verified request body.
type body struct {
	data     []byte
	md5      [md5.Size]byte
	sha256   [sha256.Size]byte
	checksum s3.Checksum
}

// readBody reads r to io.EOF in one pass, hashing as it goes, and applies
// PutObject's size and digest rules. An error from r is returned unchanged.
func readBody(r io.Reader, opts s3.PutOptions) (body, error) {
	if opts.Size < 0 {
		return body{}, fmt.Errorf("negative size %d: %w", opts.Size, s3.ErrMissingContentLength)
	}
	var buf bytes.Buffer
	buf.Grow(int(min(opts.Size, maxPrealloc)))
	m, s := md5.New(), sha256.New()
	// One byte more than announced is enough to detect a long body.
	n, err := io.Copy(io.MultiWriter(&buf, m, s), io.LimitReader(r, opts.Size+1))
	if err != nil {
		return body{}, err
	}
	if n != opts.Size {
		return body{}, fmt.Errorf("read %d of %d bytes: %w", n, opts.Size, s3.ErrIncompleteBody)
	}
	b := body{data: buf.Bytes()}
	sum(m, b.md5[:])
	sum(s, b.sha256[:])
	if opts.Checksum != nil {
		b.checksum = opts.Checksum()
	}
	return b, verifyDigests(b, opts)
}

// verifyDigests checks the client-supplied digests against b.
func verifyDigests(b body, opts s3.PutOptions) error {
	if opts.ContentMD5 != nil && !bytes.Equal(opts.ContentMD5, b.md5[:]) {
		return s3.ErrBadDigest
	}
	if opts.ContentSHA256 != nil && !bytes.Equal(opts.ContentSHA256, b.sha256[:]) {
		return s3.ErrXAmzContentSHA256Mismatch
	}
	return nil
}

func sum(h hash.Hash, dst []byte) { copy(dst, h.Sum(nil)) }
