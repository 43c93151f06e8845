package e2e

import (
	"bytes"
	"io"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// tlsFront puts a TLS-terminating reverse proxy in front of n, keeping the
// Host header the client signed. aws-sdk-go-v2 only streams aws-chunked
// bodies with checksum trailers over TLS, which is how most users reach S3.
func (n *testNode) tlsFront(t *testing.T) (*s3.Client, *httptest.Server) {
	t.Helper()
	target, _ := url.Parse(n.endpoint)
	proxy := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		r.SetURL(target)
		r.Out.Host = r.In.Host
	}}
	srv := httptest.NewTLSServer(proxy)
	t.Cleanup(srv.Close)
	c := s3.New(s3.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(srv.URL),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(n.access, n.secret, ""),
		HTTPClient:   srv.Client(),
		// What config.LoadDefaultConfig resolves for users; a bare
		// s3.Options leaves it unset and sends no checksum.
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenSupported,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenSupported,
	})
	return c, srv
}

// onlyReader hides Seek, so the SDK must stream the body with a trailer.
type onlyReader struct{ io.Reader }

// TestSDKChecksumTrailers PUTs through aws-sdk-go-v2's defaults (CRC32 in
// an aws-chunked trailer) and with each checksum algorithm explicitly, then
// reads the checksum back with checksum mode.
func TestSDKChecksumTrailers(t *testing.T) {
	n := startNode(t)
	c, _ := n.tlsFront(t)
	cx := ctx(t, time.Minute)
	if _, err := c.CreateBucket(cx, &s3.CreateBucketInput{Bucket: aws.String("sums")}); err != nil {
		t.Fatal(err)
	}
	body, sum := randomBytes(t, 3<<20+5)
	algs := []types.ChecksumAlgorithm{"", types.ChecksumAlgorithmCrc32, types.ChecksumAlgorithmCrc32c,
		types.ChecksumAlgorithmCrc64nvme, types.ChecksumAlgorithmSha1, types.ChecksumAlgorithmSha256}
	for _, alg := range algs {
		name := string(alg)
		if name == "" {
			name = "default"
		}
		t.Run(name, func(t *testing.T) {
			key := "k-" + name
			var r io.Reader = onlyReader{bytes.NewReader(body)}
			if alg == "" {
				r = bytes.NewReader(body) // the SDK's most common call
			}
			put, err := c.PutObject(cx, &s3.PutObjectInput{
				Bucket: aws.String("sums"), Key: aws.String(key), ChecksumAlgorithm: alg,
				Body: r, ContentLength: aws.Int64(int64(len(body))),
			})
			if err != nil {
				t.Fatalf("put: %v", err)
			}
			sent := firstNonEmpty(put.ChecksumCRC32, put.ChecksumCRC32C, put.ChecksumCRC64NVME, put.ChecksumSHA1, put.ChecksumSHA256)
			if sent == "" {
				t.Fatalf("PUT response carries no x-amz-checksum-* header")
			}
			got, err := c.GetObject(cx, &s3.GetObjectInput{Bucket: aws.String("sums"), Key: aws.String(key), ChecksumMode: types.ChecksumModeEnabled})
			if err != nil {
				t.Fatalf("get: %v", err)
			}
			b, err := io.ReadAll(got.Body) // the SDK validates the returned checksum while reading
			got.Body.Close()
			if err != nil || sha256Hex(b) != sum {
				t.Fatalf("get: %v, sha256 mismatch", err)
			}
			back := firstNonEmpty(got.ChecksumCRC32, got.ChecksumCRC32C, got.ChecksumCRC64NVME, got.ChecksumSHA1, got.ChecksumSHA256)
			if back != sent {
				t.Errorf("checksum read back %q, PUT returned %q", back, sent)
			}
		})
	}
}

// TestChecksumMismatchRejected sends a trailer checksum that does not match
// the body: BadDigest, and nothing is stored.
func TestChecksumMismatchRejected(t *testing.T) {
	n := startNode(t)
	if r := n.do(t, "PUT", "/bad", nil); r.status != 200 {
		t.Fatalf("create bucket: %d", r.status)
	}
	chunked := "5\r\nhello\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n"
	r := n.do(t, "PUT", "/bad/obj", []byte(chunked),
		withPayloadHash("STREAMING-UNSIGNED-PAYLOAD-TRAILER"),
		withHeader("Content-Encoding", "aws-chunked"),
		withHeader("X-Amz-Decoded-Content-Length", "5"),
		withHeader("X-Amz-Trailer", "x-amz-checksum-crc32"))
	if r.status != 400 || r.code() != "BadDigest" {
		t.Fatalf("mismatched trailer checksum: %d %s, want 400 BadDigest", r.status, r.body)
	}
	if r := n.do(t, "HEAD", "/bad/obj", nil); r.status != 404 {
		t.Fatalf("object stored despite bad checksum: HEAD %d", r.status)
	}
}

func firstNonEmpty(vals ...*string) string {
	for _, v := range vals {
		if aws.ToString(v) != "" {
			return aws.ToString(v)
		}
	}
	return ""
}
