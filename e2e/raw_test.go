package e2e

import (
	"bytes"
	"encoding/xml"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// s3Error is the XML body of an S3 error response.
type s3Error struct {
	Code      string
	Message   string
	Resource  string
	RequestID string `xml:"RequestId"`
}

// rawResponse is a response read whole.
type rawResponse struct {
	status int
	header http.Header
	body   []byte
}

func (r rawResponse) code() string {
	var e s3Error
	xml.Unmarshal(r.body, &e)
	return e.Code
}

// rawOpt changes a raw request before or after signing.
type rawOpt func(*rawReq)

type rawReq struct {
	header      map[string]string
	payloadHash string // "" = hash of the body
	signTime    time.Time
	access      string
	secret      string
	afterSign   func(*http.Request)
	stream      io.Reader // replaces the body after hashing, for oversized bodies
	streamLen   int64
}

func withHeader(k, v string) rawOpt { return func(r *rawReq) { r.header[k] = v } }
func withSignTime(t time.Time) rawOpt {
	return func(r *rawReq) { r.signTime = t }
}
func withKeys(access, secret string) rawOpt {
	return func(r *rawReq) { r.access, r.secret = access, secret }
}
func withPayloadHash(h string) rawOpt { return func(r *rawReq) { r.payloadHash = h } }

// withStream sends n bytes from r instead of the body (which is still what
// gets signed), so a test can announce a huge upload without holding it.
func withStream(r io.Reader, n int64) rawOpt {
	return func(rr *rawReq) { rr.stream, rr.streamLen = r, n }
}

func afterSign(f func(*http.Request)) rawOpt {
	return func(r *rawReq) { r.afterSign = f }
}

// do sends one SigV4-signed request (header form) and reads the response.
func (n *testNode) do(t testing.TB, method, path string, body []byte, opts ...rawOpt) rawResponse {
	t.Helper()
	r, err := n.send(t, method, path, body, opts...)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return r
}

// send is do without failing the test on a transport error, for use from
// other goroutines.
func (n *testNode) send(t testing.TB, method, path string, body []byte, opts ...rawOpt) (rawResponse, error) {
	rr := &rawReq{header: map[string]string{}, signTime: time.Now(), access: n.access, secret: n.secret}
	for _, o := range opts {
		o(rr)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, n.endpoint+path, bytes.NewReader(body))
	if err != nil {
		return rawResponse{}, err
	}
	req.ContentLength = int64(len(body))
	for k, v := range rr.header {
		req.Header.Set(k, v)
	}
	if rr.stream != nil {
		req.Body, req.ContentLength = io.NopCloser(rr.stream), rr.streamLen
	}
	hash := rr.payloadHash
	if hash == "" {
		hash = sha256Hex(body)
	}
	req.Header.Set("X-Amz-Content-Sha256", hash)
	if rr.access != "" {
		creds := aws.Credentials{AccessKeyID: rr.access, SecretAccessKey: rr.secret}
		if err := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true }).SignHTTP(t.Context(), creds, req, hash, "s3", "us-east-1", rr.signTime); err != nil {
			return rawResponse{}, err
		}
	}
	if rr.afterSign != nil {
		rr.afterSign(req)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return rawResponse{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return rawResponse{status: resp.StatusCode, header: resp.Header, body: b}, err
}
