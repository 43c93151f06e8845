package s3_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
	"github.com/minio/minio-go/v7"
	miniocreds "github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/d3s/d3s/s3"
	"github.com/d3s/d3s/s3/s3test"
)

// The front-end tests' user and virtual-hosting domain.
const (
	feAccessKey = "AKIAFRONTENDTEST0001"
	feSecret    = "frontendSecret0123456789abcdefghijklmnop"
	feRegion    = "us-east-1"
	feDomain    = "s3.d3s.test"
)

// feEnv is a D3S S3 server over an in-memory store, with the clients a
// user would point at it.
type feEnv struct {
	srv   *httptest.Server
	s3srv *s3.Server
	url   string
	store *s3test.MemStore
	user  s3.User
	sdk   *awss3.Client
	minio *minio.Client
}

func newFeEnv(t *testing.T) *feEnv {
	t.Helper()
	store := s3test.NewMemStore()
	creds := &s3test.MemCredentials{}
	user := creds.Add(feAccessKey, feSecret, "frontend")
	s3srv := s3.NewServer(store, creds, s3.Options{Domain: feDomain})
	srv := httptest.NewServer(s3srv)
	t.Cleanup(srv.Close)
	sdk := awss3.New(awss3.Options{
		BaseEndpoint: aws.String(srv.URL),
		Region:       feRegion,
		Credentials:  credentials.NewStaticCredentialsProvider(feAccessKey, feSecret, ""),
		UsePathStyle: true,
	})
	mc, err := minio.New(srv.Listener.Addr().String(), &minio.Options{
		Creds:  miniocreds.NewStaticV4(feAccessKey, feSecret, ""),
		Region: feRegion,
	})
	if err != nil {
		t.Fatal(err)
	}
	return &feEnv{srv: srv, s3srv: s3srv, url: srv.URL, store: store, user: user, sdk: sdk, minio: mc}
}

// virtualHostSDK is an SDK client using virtual-hosted-style addressing
// (bucket.s3.d3s.test), every connection dialled to the test server.
func (e *feEnv) virtualHostSDK() *awss3.Client {
	addr := e.srv.Listener.Addr().String()
	_, port, _ := net.SplitHostPort(addr)
	tr := &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}}
	return awss3.New(awss3.Options{
		BaseEndpoint: aws.String("http://" + feDomain + ":" + port),
		Region:       feRegion,
		Credentials:  credentials.NewStaticCredentialsProvider(feAccessKey, feSecret, ""),
		HTTPClient:   &http.Client{Transport: tr},
	})
}

// mkBucket creates a bucket through the SDK.
func (e *feEnv) mkBucket(t *testing.T, name string) {
	t.Helper()
	if _, err := e.sdk.CreateBucket(feCtx(t), &awss3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatalf("create bucket %s: %v", name, err)
	}
}

// putBytes stores data as bucket/key through the SDK.
func (e *feEnv) putBytes(t *testing.T, bucket, key string, data []byte) *awss3.PutObjectOutput {
	t.Helper()
	out, err := e.sdk.PutObject(feCtx(t), &awss3.PutObjectInput{
		Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(data)})
	if err != nil {
		t.Fatalf("put %s/%s: %v", bucket, key, err)
	}
	return out
}

// feRequest is a raw request to sign and send.
type feRequest struct {
	method, path string
	body         []byte
	header       http.Header
	host         string    // overrides the Host header when set
	secret       string    // signing secret; feSecret when ""
	accessKey    string    // feAccessKey when ""
	at           time.Time // signing time; now when zero
	unsigned     bool      // send without any signature
}

// feResponse is a raw response, body read.
type feResponse struct {
	status int
	header http.Header
	body   []byte
}

// do sends r signed with SigV4 (payload hash in x-amz-content-sha256).
func (e *feEnv) do(t *testing.T, r feRequest) feResponse {
	t.Helper()
	req, err := http.NewRequestWithContext(feCtx(t), r.method, e.url+r.path, bytes.NewReader(r.body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range r.header {
		req.Header[k] = v
	}
	if r.host != "" {
		req.Host = r.host
	}
	if !r.unsigned {
		feSign(t, req, r)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return feResponse{status: resp.StatusCode, header: resp.Header, body: b}
}

func feSign(t *testing.T, req *http.Request, r feRequest) {
	t.Helper()
	sum := sha256.Sum256(r.body)
	payload := hex.EncodeToString(sum[:])
	req.Header.Set("X-Amz-Content-Sha256", payload)
	creds := aws.Credentials{AccessKeyID: or(r.accessKey, feAccessKey), SecretAccessKey: or(r.secret, feSecret)}
	at := r.at
	if at.IsZero() {
		at = time.Now()
	}
	if err := feSigner().SignHTTP(req.Context(), creds, req, payload, "s3", feRegion, at); err != nil {
		t.Fatal(err)
	}
}

// feSigner signs as S3 clients do: the path is escaped once, not twice as
// for other AWS services.
func feSigner() *v4.Signer {
	return v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// feErrorDoc is an S3 XML error document.
type feErrorDoc struct {
	XMLName   xml.Name `xml:"Error"`
	Code      string   `xml:"Code"`
	Message   string   `xml:"Message"`
	Resource  string   `xml:"Resource"`
	RequestID string   `xml:"RequestId"`
	HostID    string   `xml:"HostId"`
}

// wantError checks that resp is the S3 error code with its status, a
// well-formed error document whose RequestId is the x-amz-request-id.
func (resp feResponse) wantError(t *testing.T, status int, code string) feErrorDoc {
	t.Helper()
	var doc feErrorDoc
	if err := xml.Unmarshal(resp.body, &doc); err != nil {
		t.Fatalf("status %d, body %q is not an S3 error document: %v", resp.status, resp.body, err)
	}
	if resp.status != status || doc.Code != code {
		t.Fatalf("got %d %s (%s), want %d %s", resp.status, doc.Code, doc.Message, status, code)
	}
	if id := resp.header.Get("X-Amz-Request-Id"); id == "" || id != doc.RequestID || doc.HostID == "" {
		t.Fatalf("request id header %q, document %q, host id %q", id, doc.RequestID, doc.HostID)
	}
	return doc
}

// wantStatus checks resp's status, showing the body otherwise.
func (resp feResponse) wantStatus(t *testing.T, status int) {
	t.Helper()
	if resp.status != status {
		t.Fatalf("got status %d (%s), want %d", resp.status, resp.body, status)
	}
}

// feWantCode checks err is an SDK or minio error with code.
func feWantCode(t *testing.T, err error, code string) {
	t.Helper()
	var ae smithy.APIError
	if errors.As(err, &ae) {
		if ae.ErrorCode() != code {
			t.Fatalf("got error code %s (%v), want %s", ae.ErrorCode(), err, code)
		}
		return
	}
	if mr := minio.ToErrorResponse(err); mr.Code != "" {
		if mr.Code != code {
			t.Fatalf("got error code %s (%v), want %s", mr.Code, err, code)
		}
		return
	}
	t.Fatalf("got error %v, want API error %s", err, code)
}

// feCtx bounds one client call.
func feCtx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

// hdr builds a header from name, value pairs.
func hdr(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Set(kv[i], kv[i+1])
	}
	return h
}

// objectBytes reads bucket/key through the SDK; ok is false for NoSuchKey.
func (e *feEnv) objectBytes(t *testing.T, bucket, key string) ([]byte, bool) {
	t.Helper()
	out, err := e.sdk.GetObject(feCtx(t), &awss3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	var ae smithy.APIError
	if errors.As(err, &ae) && ae.ErrorCode() == "NoSuchKey" {
		return nil, false
	}
	if err != nil {
		t.Fatalf("get %s/%s: %v", bucket, key, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatalf("read %s/%s: %v", bucket, key, err)
	}
	return b, true
}
