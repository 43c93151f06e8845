package s3_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"io"
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

// The test user of the listing, multipart and multi-delete tests.
const (
	lsAccessKey = "AKIALISTSENGINEER001"
	lsSecret    = "listsSecretKey0123456789abcdefghijklmnop"
	lsRegion    = "us-east-1"
)

// lsEnv is a D3S S3 server over an in-memory store with SDK clients.
type lsEnv struct {
	url   string
	store *s3test.MemStore
	user  s3.User
	sdk   *awss3.Client
	minio *minio.Client
}

// newLsEnv starts a server for one test.
func newLsEnv(t *testing.T) *lsEnv {
	t.Helper()
	store := s3test.NewMemStore()
	creds := &s3test.MemCredentials{}
	user := creds.Add(lsAccessKey, lsSecret, "lists")
	srv := httptest.NewServer(s3.NewServer(store, creds, s3.Options{}))
	t.Cleanup(srv.Close)
	sdk := awss3.New(awss3.Options{
		BaseEndpoint: aws.String(srv.URL),
		Region:       lsRegion,
		Credentials:  credentials.NewStaticCredentialsProvider(lsAccessKey, lsSecret, ""),
		UsePathStyle: true,
	})
	mc, err := minio.New(srv.Listener.Addr().String(), &minio.Options{
		Creds:  miniocreds.NewStaticV4(lsAccessKey, lsSecret, ""),
		Region: lsRegion,
	})
	if err != nil {
		t.Fatal(err)
	}
	return &lsEnv{url: srv.URL, store: store, user: user, sdk: sdk, minio: mc}
}

// bucket creates a bucket in the store.
func (e *lsEnv) bucket(t *testing.T, name string) {
	t.Helper()
	if err := e.store.CreateBucket(t.Context(), e.user, name); err != nil {
		t.Fatalf("create bucket %s: %v", name, err)
	}
}

// put stores key with data directly in the store.
func (e *lsEnv) put(t *testing.T, bucket, key string, data []byte) s3.ObjectInfo {
	t.Helper()
	info, err := e.store.PutObject(t.Context(), e.user, bucket, key, bytes.NewReader(data), s3.PutOptions{Size: int64(len(data))})
	if err != nil {
		t.Fatalf("put %s/%s: %v", bucket, key, err)
	}
	return info
}

// do sends a SigV4-signed request with body and returns the status and body.
func (e *lsEnv) do(t *testing.T, method, path string, body []byte, hdr http.Header) (int, []byte) {
	t.Helper()
	r, err := http.NewRequestWithContext(t.Context(), method, e.url+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		r.Header[k] = v
	}
	sum := sha256.Sum256(body)
	payload := hex.EncodeToString(sum[:])
	r.Header.Set("X-Amz-Content-Sha256", payload)
	creds := aws.Credentials{AccessKeyID: lsAccessKey, SecretAccessKey: lsSecret}
	if err := v4.NewSigner().SignHTTP(t.Context(), creds, r, payload, "s3", lsRegion, time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

// lsErrorBody is an S3 XML error document.
type lsErrorBody struct {
	XMLName   xml.Name `xml:"Error"`
	Code      string   `xml:"Code"`
	Message   string   `xml:"Message"`
	RequestID string   `xml:"RequestId"`
}

// lsWantXMLError checks a raw response is an S3 error with status and code.
func lsWantXMLError(t *testing.T, status int, body []byte, wantStatus int, wantCode string) {
	t.Helper()
	var e lsErrorBody
	if err := xml.Unmarshal(body, &e); err != nil {
		t.Fatalf("status %d, body %q is not an S3 error document: %v", status, body, err)
	}
	if status != wantStatus || e.Code != wantCode {
		t.Fatalf("got %d %s (%s), want %d %s", status, e.Code, e.Message, wantStatus, wantCode)
	}
}

// lsWantAPIError checks err is an SDK API error with code.
func lsWantAPIError(t *testing.T, err error, code string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("got error %v, want API error %s", err, code)
	}
	if ae.ErrorCode() != code {
		t.Fatalf("got error code %s (%v), want %s", ae.ErrorCode(), err, code)
	}
}

// lsCtx is a short deadline for one client call.
func lsCtx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

// lsPageGuard fails a pagination loop that does not end: no listing in
// these tests needs 100 pages.
func lsPageGuard(t *testing.T, pages *int) {
	t.Helper()
	if *pages++; *pages > 100 {
		t.Fatal("pagination does not end")
	}
}
