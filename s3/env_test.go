package s3_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
	"github.com/minio/minio-go/v7"
	miniocreds "github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/d3s/d3s/s3"
	"github.com/d3s/d3s/s3/s3test"
)

// The tests' user and virtual-hosting domain.
const (
	testAccessKey = "AKIAFRONTENDTEST0001"
	testSecret    = "frontendSecret0123456789abcdefghijklmnop"
	testUserName  = "frontend"
	testRegion    = "us-east-1"
	testDomain    = "s3.d3s.test"
)

// testEnv is a D3S S3 server over an in-memory store, with the clients a
// user would point at it.
type testEnv struct {
	srv   *httptest.Server
	s3srv *s3.Server
	url   string
	store *s3test.MemStore
	user  s3.User
	sdk   *awss3.Client
	minio *minio.Client
}

// newTestEnv starts a server for one test, virtual-hosted under testDomain.
func newTestEnv(t *testing.T) *testEnv {
	t.Helper()
	return newTestEnvWith(t, s3.Options{Domain: testDomain})
}

// newTestEnvWith starts a server with opts for one test.
func newTestEnvWith(t *testing.T, opts s3.Options) *testEnv {
	t.Helper()
	store := s3test.NewMemStore()
	creds := &s3test.MemCredentials{}
	user := creds.Add(testAccessKey, testSecret, testUserName)
	s3srv := s3.NewServer(store, creds, opts)
	srv := httptest.NewServer(s3srv)
	t.Cleanup(srv.Close)
	mc, err := minio.New(srv.Listener.Addr().String(), &minio.Options{
		Creds:  miniocreds.NewStaticV4(testAccessKey, testSecret, ""),
		Region: testRegion,
	})
	if err != nil {
		t.Fatal(err)
	}
	return &testEnv{srv: srv, s3srv: s3srv, url: srv.URL, store: store, user: user, sdk: sdkClient(srv.URL), minio: mc}
}

// sdkClient is a path-style aws-sdk-go-v2 client of the test user at
// endpoint. It computes and validates checksums when supported, as a client
// from config.LoadDefaultConfig does (a bare s3.Options sends none): a
// CRC32 header over HTTP, an aws-chunked CRC32 trailer over TLS.
func sdkClient(endpoint string, opts ...func(*awss3.Options)) *awss3.Client {
	return awss3.New(awss3.Options{
		BaseEndpoint:               aws.String(endpoint),
		Region:                     testRegion,
		Credentials:                credentials.NewStaticCredentialsProvider(testAccessKey, testSecret, ""),
		UsePathStyle:               true,
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenSupported,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenSupported,
	}, opts...)
}

// virtualHostSDK is an SDK client using virtual-hosted-style addressing
// (bucket.s3.d3s.test), every connection dialled to the test server.
func (e *testEnv) virtualHostSDK() *awss3.Client {
	addr := e.srv.Listener.Addr().String()
	_, port, _ := net.SplitHostPort(addr)
	tr := &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}}
	return sdkClient("http://"+testDomain+":"+port, func(o *awss3.Options) {
		o.UsePathStyle = false
		o.HTTPClient = &http.Client{Transport: tr}
	})
}

// mkBucket creates a bucket through the SDK.
func (e *testEnv) mkBucket(t *testing.T, name string) {
	t.Helper()
	if _, err := e.sdk.CreateBucket(callCtx(t), &awss3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatalf("create bucket %s: %v", name, err)
	}
}

// putBytes stores data as bucket/key through the SDK.
func (e *testEnv) putBytes(t *testing.T, bucket, key string, data []byte) *awss3.PutObjectOutput {
	t.Helper()
	out, err := e.sdk.PutObject(callCtx(t), &awss3.PutObjectInput{
		Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(data)})
	if err != nil {
		t.Fatalf("put %s/%s: %v", bucket, key, err)
	}
	return out
}

// objectBytes reads bucket/key through the SDK; ok is false for NoSuchKey.
func (e *testEnv) objectBytes(t *testing.T, bucket, key string) ([]byte, bool) {
	t.Helper()
	out, err := e.sdk.GetObject(callCtx(t), &awss3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
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

// seedBucket creates a bucket directly in the store.
func (e *testEnv) seedBucket(t *testing.T, name string) {
	t.Helper()
	if err := e.store.CreateBucket(t.Context(), e.user, name); err != nil {
		t.Fatalf("create bucket %s: %v", name, err)
	}
}

// seedObject stores key with data directly in the store.
func (e *testEnv) seedObject(t *testing.T, bucket, key string, data []byte) s3.ObjectInfo {
	t.Helper()
	info, err := e.store.PutObject(t.Context(), e.user, bucket, key, bytes.NewReader(data), s3.PutOptions{Size: int64(len(data))})
	if err != nil {
		t.Fatalf("put %s/%s: %v", bucket, key, err)
	}
	return info
}

// wantCode checks err is an SDK or minio error with code.
func wantCode(t *testing.T, err error, code string) {
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

// callCtx bounds one client call.
func callCtx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

// pageGuard fails a pagination loop that does not end: no listing in
// these tests needs 100 pages.
func pageGuard(t *testing.T, pages *int) {
	t.Helper()
	if *pages++; *pages > 100 {
		t.Fatal("pagination does not end")
	}
}
