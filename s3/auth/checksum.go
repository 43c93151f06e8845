package auth

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"hash"
	"hash/crc32"
	"hash/crc64"
	"io"
	"net/http"
	"strings"
)

// crc64NVMEPoly is the reflected CRC-64/NVME polynomial (normal form
// 0xad93d23594c93659); hash/crc64 applies S3's init and final xor of ^0.
const crc64NVMEPoly = 0x9a6c9329ac4bc9b5

var (
	crc64NVMETable  = crc64.MakeTable(crc64NVMEPoly)
	castagnoliTable = crc32.MakeTable(crc32.Castagnoli)
)

// checksumAlg is one of S3's additional checksum algorithms.
type checksumAlg struct {
	name    string // as in x-amz-sdk-checksum-algorithm, upper case
	header  string // x-amz-checksum-<alg>, lower case
	size    int    // digest length in bytes
	newHash func() hash.Hash
}

var checksumAlgs = []*checksumAlg{
	{"CRC32", "x-amz-checksum-crc32", 4, func() hash.Hash { return crc32.NewIEEE() }},
	{"CRC32C", "x-amz-checksum-crc32c", 4, func() hash.Hash { return crc32.New(castagnoliTable) }},
	{"CRC64NVME", "x-amz-checksum-crc64nvme", 8, newCRC64NVME},
	{"SHA1", "x-amz-checksum-sha1", sha1.Size, sha1.New},
	{"SHA256", "x-amz-checksum-sha256", sha256.Size, sha256.New},
}

// checksumByHeader finds an algorithm by its lower-case header name.
func checksumByHeader(name string) *checksumAlg {
	for _, a := range checksumAlgs {
		if a.header == name {
			return a
		}
	}
	return nil
}

// checksumByName finds an algorithm by its name, case-insensitively.
func checksumByName(name string) *checksumAlg {
	for _, a := range checksumAlgs {
		if strings.EqualFold(a.name, name) {
			return a
		}
	}
	return nil
}

// checksumState hashes a decoded payload and checks it at the end.
type checksumState struct {
	alg      *checksumAlg
	h        hash.Hash
	expected []byte // nil until the value is known (trailers)
	got      string
}

func newChecksumState(alg *checksumAlg) *checksumState {
	return &checksumState{alg: alg, h: alg.newHash()}
}

// setExpected decodes the client's base64 value: ErrInvalidChecksum.
func (c *checksumState) setExpected(b64 string) error {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(b64))
	if err != nil || len(raw) != c.alg.size {
		return fmt.Errorf("%s value %.60q: %w", c.alg.header, b64, ErrInvalidChecksum)
	}
	c.expected = raw
	return nil
}

// verify compares the payload digest with the expected value.
func (c *checksumState) verify() error {
	sum := c.h.Sum(nil)
	if c.expected == nil {
		return fmt.Errorf("%s value missing: %w", c.alg.header, ErrInvalidChecksum)
	}
	if !bytes.Equal(sum, c.expected) {
		return fmt.Errorf("%s: %w", c.alg.header, ErrChecksumMismatch)
	}
	c.got = base64.StdEncoding.EncodeToString(sum)
	return nil
}

// value is Result.Checksum.
func (c *checksumState) value() string { return c.got }

// checksumExempt lists x-amz-checksum-* headers that carry no value of
// the request body.
var checksumExempt = map[string]bool{
	"x-amz-checksum-mode":      true,
	"x-amz-checksum-type":      true,
	"x-amz-checksum-algorithm": true,
}

// headerChecksum returns the checksum announced by an x-amz-checksum-*
// request header, or nil. CompleteMultipartUpload is skipped: there the
// header is the whole object's checksum, not that of the XML body.
func headerChecksum(r *http.Request) (*checksumState, error) {
	if r.Method == http.MethodPost && hasQueryKey(r.URL.RawQuery, "uploadId") {
		return nil, nil
	}
	var found *checksumState
	for name, vals := range r.Header {
		lname := strings.ToLower(name)
		if !strings.HasPrefix(lname, "x-amz-checksum-") || checksumExempt[lname] {
			continue
		}
		alg := checksumByHeader(lname)
		if alg == nil || found != nil || len(vals) != 1 {
			return nil, fmt.Errorf("header %s: %w", lname, ErrInvalidChecksum)
		}
		found = newChecksumState(alg)
		if err := found.setExpected(vals[0]); err != nil {
			return nil, err
		}
	}
	if err := checkSDKAlgorithm(r, found); err != nil {
		return nil, err
	}
	return found, nil
}

// checkSDKAlgorithm validates x-amz-sdk-checksum-algorithm, which names
// the algorithm of a header or trailer value (or of nothing at all).
func checkSDKAlgorithm(r *http.Request, found *checksumState) error {
	name := r.Header.Get("X-Amz-Sdk-Checksum-Algorithm")
	if name == "" {
		return nil
	}
	alg := checksumByName(name)
	if alg == nil || (found != nil && found.alg != alg) {
		return fmt.Errorf("x-amz-sdk-checksum-algorithm %.40q: %w", name, ErrInvalidChecksum)
	}
	return nil
}

// announcedTrailer returns the checksum algorithm named by x-amz-trailer,
// or nil when there is none.
func announcedTrailer(r *http.Request) (*checksumAlg, error) {
	vals := r.Header.Values("X-Amz-Trailer")
	var found *checksumAlg
	for _, v := range vals {
		for name := range strings.SplitSeq(v, ",") {
			name = strings.ToLower(strings.TrimSpace(name))
			if name == "" {
				continue
			}
			alg := checksumByHeader(name)
			if alg == nil || found != nil {
				return nil, fmt.Errorf("x-amz-trailer %.60q: %w", v, ErrInvalidChecksum)
			}
			found = alg
		}
	}
	return found, nil
}

// checksumReader verifies a header checksum over a plain body.
type checksumReader struct {
	r   io.Reader
	sum *checksumState
	err error
}

// Read hashes what it passes on and turns io.EOF into ErrChecksumMismatch
// when the digest differs.
func (c *checksumReader) Read(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.r.Read(p)
	c.sum.h.Write(p[:n])
	if err == io.EOF {
		if verr := c.sum.verify(); verr != nil {
			err = verr
		}
	}
	if err != nil {
		c.err = err
	}
	return n, err
}
