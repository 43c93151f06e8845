package auth

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"hash"
	"hash/crc32"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/minio/minio-go/v7/pkg/s3utils"
	"github.com/minio/minio-go/v7/pkg/signer"
)

// overTheWire serialises a client request and parses it back as a server
// sees it, so the test covers exactly what a client sends.
func overTheWire(t *testing.T, req *http.Request) *http.Request {
	t.Helper()
	var buf bytes.Buffer
	if err := req.Write(&buf); err != nil {
		t.Fatalf("write request: %v", err)
	}
	r, err := http.ReadRequest(bufio.NewReader(&buf))
	if err != nil {
		t.Fatalf("read request: %v", err)
	}
	return r
}

// sdkCase is one request shape signed by every signer.
type sdkCase struct {
	method, key, query, body string
}

var sdkCases = []sdkCase{
	{"GET", "plain.txt", "", ""},
	{"PUT", "dir/sub/file.bin", "", "hello, world"},
	{"PUT", "with space and+plus", "", "x"},
	{"GET", "ünïcødé/ключ/鍵", "", ""},
	{"DELETE", "100% sure", "versionId=abc", ""},
	{"HEAD", "a~b_c-d.e", "", ""},
	{"GET", "", "list-type=2&prefix=a%20b&delimiter=%2F&continuation-token=a%2Bb%3D%3D", ""},
	{"GET", "", "uploads=&max-uploads=3", ""},
	{"PUT", "k", "partNumber=2&uploadId=x%2By", "part-data"},
	{"GET", "*(quote)'!$&,;=:@", "x=2&x=1&a=", ""},
}

// minioCases are sdkCases minus repeated query keys out of value order:
// minio-go signs them in wire order, where SigV4 (and S3) sort by value.
func minioCases() []sdkCase {
	var out []sdkCase
	for _, c := range sdkCases {
		if !strings.Contains(c.query, "x=2&x=1") {
			out = append(out, c)
		}
	}
	return out
}

// sdkURL is the S3-style encoding clients use: every byte but unreserved
// and '/' percent-encoded.
func sdkURL(c sdkCase) string {
	u := "http://127.0.0.1:9000/bucket/" + uriEncode(c.key, false)
	if c.query != "" {
		u += "?" + c.query
	}
	return u
}

// minioURL encodes the path as minio-go does (s3utils.EncodePath), which
// is also what it signs.
func minioURL(c sdkCase) string {
	u := "http://127.0.0.1:9000" + s3utils.EncodePath("/bucket/"+c.key)
	if c.query != "" {
		u += "?" + c.query
	}
	return u
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func awsCreds(secret string) aws.Credentials {
	return aws.Credentials{AccessKeyID: exampleAK, SecretAccessKey: secret}
}

func awsSigner() *v4.Signer {
	return v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
}

func TestAWSSDKSignHTTP(t *testing.T) {
	now := time.Now().UTC()
	v := newTestVerifier(t, now)
	for _, c := range sdkCases {
		t.Run(c.method+" "+c.key+"?"+c.query, func(t *testing.T) {
			sign := func(secret, body string) *http.Request {
				req, err := http.NewRequest(c.method, sdkURL(c), strings.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				ph := sha256Hex(c.body)
				req.Header.Set("X-Amz-Content-Sha256", ph)
				req.Header.Set("X-Amz-Meta-Note", "  two   spaces ")
				if err := awsSigner().SignHTTP(t.Context(), awsCreds(secret), req, ph, "s3", "eu-west-3", now); err != nil {
					t.Fatal(err)
				}
				return overTheWire(t, req)
			}
			res, err := v.Verify(sign(exampleSecret, c.body))
			wantErr(t, "verify", err, nil)
			wantExampleKey(t, res)
			got, err := CheckedBody(res, 1<<20)
			wantErr(t, "body", err, nil)
			if string(got) != c.body {
				t.Fatalf("body %q, want %q", got, c.body)
			}
			_, err = v.Verify(sign(exampleSecret[:5]+"Z"+exampleSecret[6:], c.body))
			wantErr(t, "wrong secret", err, ErrSignatureDoesNotMatch)
			r := sign(exampleSecret, c.body)
			r.Header.Set("Authorization", flipLastHex(r.Header.Get("Authorization")))
			_, err = v.Verify(r)
			wantErr(t, "changed signature", err, ErrSignatureDoesNotMatch)
			if c.body != "" {
				res, err := v.Verify(sign(exampleSecret, "Y"+c.body[1:]))
				wantErr(t, "verify changed body", err, nil)
				_, err = CheckedBody(res, 1<<20)
				wantErr(t, "changed body", err, ErrContentSHA256Mismatch)
			}
		})
	}
}

// flipLastHex changes the last character of a hex signature.
func flipLastHex(s string) string {
	last := s[len(s)-1]
	if last == '0' {
		return s[:len(s)-1] + "1"
	}
	return s[:len(s)-1] + "0"
}

func TestAWSSDKPresignHTTP(t *testing.T) {
	now := time.Now().UTC()
	v := newTestVerifier(t, now.Add(time.Minute))
	for _, c := range sdkCases {
		t.Run(c.method+" "+c.key+"?"+c.query, func(t *testing.T) {
			presign := func(secret string) *http.Request {
				req, err := http.NewRequest(c.method, sdkURL(c), nil)
				if err != nil {
					t.Fatal(err)
				}
				q := req.URL.Query()
				q.Set("X-Amz-Expires", "900")
				req.URL.RawQuery = strings.ReplaceAll(q.Encode(), "+", "%20")
				uri, hdr, err := awsSigner().PresignHTTP(t.Context(), awsCreds(secret), req, unsignedPayload, "s3", "us-east-1", now)
				if err != nil {
					t.Fatal(err)
				}
				out, err := http.NewRequest(c.method, uri, strings.NewReader(c.body))
				if err != nil {
					t.Fatal(err)
				}
				for k, vs := range hdr {
					if k != "Host" {
						out.Header[k] = vs
					}
				}
				return overTheWire(t, out)
			}
			res, err := v.Verify(presign(exampleSecret))
			wantErr(t, "verify", err, nil)
			wantExampleKey(t, res)
			got, err := CheckedBody(res, 1<<20)
			wantErr(t, "body", err, nil)
			if string(got) != c.body || res.ContentSHA256 != nil {
				t.Fatalf("body %q sha %x", got, res.ContentSHA256)
			}
			_, err = v.Verify(presign("wrong"))
			wantErr(t, "wrong secret", err, ErrSignatureDoesNotMatch)
			_, err = newTestVerifier(t, now.Add(901*time.Second)).Verify(presign(exampleSecret))
			wantErr(t, "expired", err, ErrExpired)
		})
	}
}

func TestMinioSignV4(t *testing.T) {
	v := newTestVerifier(t, time.Now())
	for _, c := range minioCases() {
		t.Run(c.method+" "+c.key+"?"+c.query, func(t *testing.T) {
			sign := func(secret string) *http.Request {
				req, err := http.NewRequest(c.method, minioURL(c), strings.NewReader(c.body))
				if err != nil {
					t.Fatal(err)
				}
				req.Header.Set("X-Amz-Content-Sha256", sha256Hex(c.body))
				return overTheWire(t, signer.SignV4(*req, exampleAK, secret, "", "us-east-1"))
			}
			res, err := v.Verify(sign(exampleSecret))
			wantErr(t, "verify", err, nil)
			wantExampleKey(t, res)
			got, err := CheckedBody(res, 1<<20)
			wantErr(t, "body", err, nil)
			if string(got) != c.body {
				t.Fatalf("body %q", got)
			}
			_, err = v.Verify(sign(exampleSecret + "x"))
			wantErr(t, "wrong secret", err, ErrSignatureDoesNotMatch)
		})
	}
}

func TestMinioPreSignV4(t *testing.T) {
	v := newTestVerifier(t, time.Now())
	for _, c := range minioCases() {
		t.Run(c.method+" "+c.key+"?"+c.query, func(t *testing.T) {
			req, err := http.NewRequest(c.method, minioURL(c), nil)
			if err != nil {
				t.Fatal(err)
			}
			signed := signer.PreSignV4(*req, exampleAK, exampleSecret, "", "us-east-1", 3600)
			res, err := v.Verify(overTheWire(t, signed))
			wantErr(t, "verify", err, nil)
			wantExampleKey(t, res)
			signed.URL.RawQuery = strings.Replace(signed.URL.RawQuery, "X-Amz-Signature=", "X-Amz-Signature=0", 1)
			signed.URL.RawQuery = signed.URL.RawQuery[:len(signed.URL.RawQuery)-1]
			_, err = v.Verify(overTheWire(t, signed))
			wantErr(t, "changed signature", err, ErrSignatureDoesNotMatch)
		})
	}
}

// sha256Hasher adapts crypto/sha256 to minio's md5simd.Hasher.
type sha256Hasher struct{ hash.Hash }

func (sha256Hasher) Close() {}

func crc32cBase64(b []byte) string {
	var out [4]byte
	s := crc32.Checksum(b, castagnoliTable)
	out[0], out[1], out[2], out[3] = byte(s>>24), byte(s>>16), byte(s>>8), byte(s)
	return base64.StdEncoding.EncodeToString(out[:])
}

func TestMinioStreaming(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789abcdef"), 12345) // 3 chunks + tail
	tests := []struct {
		name    string
		trailer bool
		signed  bool
	}{
		{"StreamingSignV4", false, true},
		{"StreamingSignV4 with trailer", true, true},
		{"StreamingUnsignedV4 with trailer", true, false},
	}
	v := newTestVerifier(t, time.Now())
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			build := func(secret string, body []byte, crc string) *http.Request {
				req, err := http.NewRequest("PUT", "http://127.0.0.1:9000/bucket/obj", bytes.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				if tc.trailer {
					req.Trailer = http.Header{"x-amz-checksum-crc32c": {crc}}
				}
				now := time.Now().UTC()
				if tc.signed {
					req = signer.StreamingSignV4(req, exampleAK, secret, "", "us-east-1", int64(len(body)), now, sha256Hasher{sha256.New()})
				} else {
					req.Header.Set("X-Amz-Content-Sha256", streamingUnsignedTrailer)
					req.ContentLength = int64(len(body))
					req = signer.SignV4Trailer(*req, exampleAK, secret, "", "us-east-1", req.Trailer)
				}
				return overTheWire(t, req)
			}
			good := crc32cBase64(data)
			res, err := v.Verify(build(exampleSecret, data, good))
			wantErr(t, "verify", err, nil)
			wantExampleKey(t, res)
			got, err := readAll(t, res)
			wantErr(t, "read", err, nil)
			if !bytes.Equal(got, data) || res.DecodedLength != int64(len(data)) {
				t.Fatalf("decoded %d bytes (DecodedLength %d), want %d", len(got), res.DecodedLength, len(data))
			}
			if tc.trailer && (res.ChecksumAlgorithm != "CRC32C" || res.Checksum() != good) {
				t.Fatalf("checksum %s %q", res.ChecksumAlgorithm, res.Checksum())
			}
			_, err = v.Verify(build(exampleSecret+"x", data, good))
			wantErr(t, "wrong secret", err, ErrSignatureDoesNotMatch)
			if tc.trailer {
				res, err = v.Verify(build(exampleSecret, data, crc32cBase64([]byte("other"))))
				wantErr(t, "verify", err, nil)
				_, err = readAll(t, res)
				want := ErrChecksumMismatch
				if tc.signed {
					want = nil // the minio signer signs the value it is given
				}
				if want != nil {
					wantErr(t, "wrong checksum", err, want)
				} else {
					wantErr(t, "wrong checksum (signed)", err, ErrChecksumMismatch)
				}
			}
			// A changed payload byte on the wire.
			r := build(exampleSecret, data, good)
			raw, _ := io.ReadAll(r.Body)
			i := bytes.Index(raw, []byte("0123456789"))
			raw[i+3] ^= 1
			r.Body = io.NopCloser(bytes.NewReader(raw))
			res, err = v.Verify(r)
			wantErr(t, "verify", err, nil)
			_, err = readAll(t, res)
			if tc.signed {
				wantErr(t, "changed byte", err, ErrSignatureDoesNotMatch)
			} else {
				wantErr(t, "changed byte", err, ErrChecksumMismatch)
			}
		})
	}
}

func TestMinioSignV2(t *testing.T) {
	v := newTestVerifier(t, time.Now(), func(o *Options) { o.Domain = "s3.example.com" })
	for _, c := range minioCases() {
		for _, virtual := range []bool{false, true} {
			t.Run(c.method+" "+c.key+"?"+c.query, func(t *testing.T) {
				newReq := func() *http.Request {
					req, err := http.NewRequest(c.method, minioURL(c), strings.NewReader(c.body))
					if err != nil {
						t.Fatal(err)
					}
					if virtual {
						req.URL.Host = "bucket.s3.example.com:9000"
						req.Host = req.URL.Host
						req.URL.Path = strings.TrimPrefix(req.URL.Path, "/bucket")
						req.URL.RawPath = strings.TrimPrefix(req.URL.RawPath, "/bucket")
					}
					req.Header.Set("Content-Type", "application/octet-stream")
					req.Header.Set("X-Amz-Meta-A", "b")
					return req
				}
				req := newReq()
				signed := signer.SignV2(*req, exampleAK, exampleSecret, virtual)
				res, err := v.Verify(overTheWire(t, signed))
				wantErr(t, "verify", err, nil)
				wantExampleKey(t, res)
				got, err := CheckedBody(res, 1<<20)
				wantErr(t, "body", err, nil)
				if string(got) != c.body {
					t.Fatalf("body %q", got)
				}
				signed = signer.SignV2(*newReq(), exampleAK, "wrong", virtual)
				_, err = v.Verify(overTheWire(t, signed))
				wantErr(t, "wrong secret", err, ErrSignatureDoesNotMatch)

				pre := signer.PreSignV2(*newReq(), exampleAK, exampleSecret, 600, virtual)
				res, err = v.Verify(overTheWire(t, pre))
				wantErr(t, "presigned", err, nil)
				wantExampleKey(t, res)
				pre = signer.PreSignV2(*newReq(), exampleAK, exampleSecret, -10, virtual)
				_, err = v.Verify(overTheWire(t, pre))
				wantErr(t, "presigned expired", err, ErrExpired)
			})
		}
	}
}
