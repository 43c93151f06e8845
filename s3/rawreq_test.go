package s3_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// rawRequest is a raw request to sign and send.
type rawRequest struct {
	method, path string
	body         []byte
	header       http.Header
	host         string    // overrides the Host header when set
	secret       string    // signing secret; testSecret when ""
	accessKey    string    // testAccessKey when ""
	payload      string    // signed x-amz-content-sha256; the body's SHA-256 when ""
	at           time.Time // signing time; now when zero
	unsigned     bool      // send without any signature
}

// rawResponse is a raw response, body read.
type rawResponse struct {
	status int
	header http.Header
	length int64 // Content-Length as the client saw it
	body   []byte
}

// do sends r signed with SigV4 (payload hash in x-amz-content-sha256).
func (e *testEnv) do(t *testing.T, r rawRequest) rawResponse {
	t.Helper()
	req, err := http.NewRequestWithContext(callCtx(t), r.method, e.url+r.path, bytes.NewReader(r.body))
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
		signRequest(t, req, r)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return readResponse(t, resp)
}

// call sends a signed request with body and header, returning the status
// and body.
func (e *testEnv) call(t *testing.T, method, path string, body []byte, header http.Header) (int, []byte) {
	t.Helper()
	resp := e.do(t, rawRequest{method: method, path: path, body: body, header: header})
	return resp.status, resp.body
}

// readResponse reads and closes resp's body.
func readResponse(t *testing.T, resp *http.Response) rawResponse {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return rawResponse{status: resp.StatusCode, header: resp.Header, length: resp.ContentLength, body: b}
}

func signRequest(t *testing.T, req *http.Request, r rawRequest) {
	t.Helper()
	payload := r.payload
	if payload == "" {
		sum := sha256.Sum256(r.body)
		payload = hex.EncodeToString(sum[:])
	}
	req.Header.Set("X-Amz-Content-Sha256", payload)
	creds := aws.Credentials{AccessKeyID: or(r.accessKey, testAccessKey), SecretAccessKey: or(r.secret, testSecret)}
	at := r.at
	if at.IsZero() {
		at = time.Now()
	}
	if err := s3Signer().SignHTTP(req.Context(), creds, req, payload, "s3", testRegion, at); err != nil {
		t.Fatal(err)
	}
}

// s3Signer signs as S3 clients do: the path is escaped once, not twice as
// for other AWS services.
func s3Signer() *v4.Signer {
	return v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// errorDoc is an S3 XML error document.
type errorDoc struct {
	XMLName   xml.Name `xml:"Error"`
	Code      string   `xml:"Code"`
	Message   string   `xml:"Message"`
	Resource  string   `xml:"Resource"`
	RequestID string   `xml:"RequestId"`
	HostID    string   `xml:"HostId"`
}

// wantXMLError checks a response of status and body is the S3 error code
// with its status.
func wantXMLError(t *testing.T, status int, body []byte, wantStatus int, wantCode string) errorDoc {
	t.Helper()
	var doc errorDoc
	if err := xml.Unmarshal(body, &doc); err != nil {
		t.Fatalf("status %d, body %q is not an S3 error document: %v", status, body, err)
	}
	if status != wantStatus || doc.Code != wantCode {
		t.Fatalf("got %d %s (%s), want %d %s", status, doc.Code, doc.Message, wantStatus, wantCode)
	}
	return doc
}

// wantError checks that resp is the S3 error code with its status, a
// well-formed error document whose RequestId is the x-amz-request-id.
func (resp rawResponse) wantError(t *testing.T, status int, code string) errorDoc {
	t.Helper()
	doc := wantXMLError(t, resp.status, resp.body, status, code)
	if id := resp.header.Get("X-Amz-Request-Id"); id == "" || id != doc.RequestID || doc.HostID == "" {
		t.Fatalf("request id header %q, document %q, host id %q", id, doc.RequestID, doc.HostID)
	}
	return doc
}

// wantStatus checks resp's status, showing the body otherwise.
func (resp rawResponse) wantStatus(t *testing.T, status int) {
	t.Helper()
	if resp.status != status {
		t.Fatalf("got status %d (%s), want %d", resp.status, resp.body, status)
	}
}

// hdr builds a header from name, value pairs.
func hdr(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Set(kv[i], kv[i+1])
	}
	return h
}
