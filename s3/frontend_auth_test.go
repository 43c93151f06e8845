package s3_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/d3s/d3s/s3"
)

func TestAuthErrorsWriteNothing(t *testing.T) {
	e := newTestEnv(t)
	e.mkBucket(t, "authb")
	body := []byte("must not be stored")
	tests := []struct {
		name   string
		req    rawRequest
		status int
		code   string
	}{
		{"unsigned", rawRequest{unsigned: true}, 403, "AccessDenied"},
		{"wrong secret", rawRequest{secret: "not-the-secret-key-of-this-user-000000000"}, 403, "SignatureDoesNotMatch"},
		{"unknown key", rawRequest{accessKey: "AKIAUNKNOWNUNKNOWN00"}, 403, "InvalidAccessKeyId"},
		{"skewed clock", rawRequest{at: time.Now().Add(-time.Hour)}, 403, "RequestTimeTooSkewed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.req
			r.method, r.path, r.body = "PUT", "/authb/"+strings.ReplaceAll(tt.name, " ", "-"), body
			resp := e.do(t, r)
			resp.wantError(t, tt.status, tt.code)
			if _, ok := e.objectBytes(t, "authb", r.path[len("/authb/"):]); ok {
				t.Fatal("an unauthenticated PUT stored an object")
			}
		})
	}
	// A wrong-secret SDK client is refused on every operation too.
	bad := sdkClient(e.url, func(o *awss3.Options) {
		o.Credentials = credentials.NewStaticCredentialsProvider(testAccessKey, "wrong-secret-000000000000000000000000000", "")
	})
	_, err := bad.ListBuckets(callCtx(t), &awss3.ListBucketsInput{})
	wantCode(t, err, "SignatureDoesNotMatch")
}

func TestAuthFailureSkipsContinueAndCloses(t *testing.T) {
	e := newTestEnv(t)
	e.mkBucket(t, "cont")
	c := e.dialRaw(t)
	c.send(t, e.signedHead(t, "PUT", "/cont/k", "wrong-secret-000000000000000000000000000",
		"Content-Length: 1048576", "Expect: 100-continue"))
	resp := c.read(t) // must be the error, not 100 Continue
	resp.wantError(t, 403, "SignatureDoesNotMatch")
	if !c.closed() {
		t.Fatal("connection kept open after an auth failure with an unread body")
	}
	if _, ok := e.objectBytes(t, "cont", "k"); ok {
		t.Fatal("object stored")
	}
}

func TestExpectContinueUpload(t *testing.T) {
	e := newTestEnv(t)
	e.mkBucket(t, "cont")
	c := e.dialRaw(t)
	c.send(t, e.signedHead(t, "PUT", "/cont/k", testSecret, "Content-Length: 5", "Expect: 100-continue"))
	if resp := c.read(t); resp.status != http.StatusContinue {
		t.Fatalf("got %d before the body, want 100 Continue", resp.status)
	}
	c.send(t, "hello")
	c.read(t).wantStatus(t, http.StatusOK)
	if got, _ := e.objectBytes(t, "cont", "k"); string(got) != "hello" {
		t.Fatalf("object = %q", got)
	}
}

func TestStalledBodyTimesOut(t *testing.T) {
	e := newTestEnv(t)
	s3.SetBodyIdleTimeout(e.s3srv, 300*time.Millisecond)
	e.mkBucket(t, "slow")
	c := e.dialRaw(t)
	c.send(t, e.signedHead(t, "PUT", "/slow/k", testSecret, "Content-Length: 10"))
	c.send(t, "12345") // half the body, then silence
	start := time.Now()
	resp := c.read(t)
	resp.wantError(t, 400, "RequestTimeout")
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("stalled client cut off after %v", d)
	}
	if _, ok := e.objectBytes(t, "slow", "k"); ok {
		t.Fatal("a timed-out PUT stored an object")
	}
	// A client that keeps sending, however slowly, is not cut off.
	c = e.dialRaw(t)
	c.send(t, e.signedHead(t, "PUT", "/slow/k2", testSecret, "Content-Length: 6"))
	for _, b := range []string{"ab", "cd", "ef"} {
		c.send(t, b)
		time.Sleep(200 * time.Millisecond) // pacing the client, under the 300 ms idle limit
	}
	c.read(t).wantStatus(t, http.StatusOK)
}

func TestEveryResponseHasRequestID(t *testing.T) {
	e := newTestEnv(t)
	for _, r := range []rawRequest{
		{method: "GET", path: "/"},
		{method: "GET", path: "/", unsigned: true},
		{method: "HEAD", path: "/nosuchbucket"},
		{method: "PUT", path: "/Bad_Name"},
	} {
		resp := e.do(t, r)
		if resp.header.Get("X-Amz-Request-Id") == "" || resp.header.Get("X-Amz-Id-2") == "" {
			t.Errorf("%s %s (%d): request id headers missing", r.method, r.path, resp.status)
		}
		if r.method == "HEAD" && len(resp.body) != 0 {
			t.Errorf("HEAD error carries a body %q", resp.body)
		}
	}
}

func TestAccessLogOneLinePerRequest(t *testing.T) {
	var buf lockedBuffer
	e := newTestEnvWith(t, s3.Options{Logger: slog.New(slog.NewJSONHandler(&buf, nil))})
	e.do(t, rawRequest{method: "PUT", path: "/logged"}).wantStatus(t, http.StatusOK)
	e.do(t, rawRequest{method: "PUT", path: "/logged/k", body: []byte("12345")}).wantStatus(t, http.StatusOK)
	e.do(t, rawRequest{method: "GET", path: "/logged/none"}).wantError(t, 404, "NoSuchKey")
	var lines []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		if m["msg"] == "request" {
			lines = append(lines, m)
		}
	}
	if len(lines) != 3 {
		t.Fatalf("%d access-log lines, want 3:\n%s", len(lines), buf.String())
	}
	put, miss := lines[1], lines[2]
	if put["method"] != "PUT" || put["path"] != "/logged/k" || put["status"] != 200.0 ||
		put["bytes_in"] != 5.0 || put["access_key"] != testAccessKey || put["request_id"] == "" || put["component"] != "s3" {
		t.Errorf("PUT line = %v", put)
	}
	if miss["status"] != 404.0 || miss["error"] != "NoSuchKey" || miss["bytes_out"].(float64) == 0 {
		t.Errorf("GET line = %v", miss)
	}
}

func TestHTTPServerLimits(t *testing.T) {
	e := newTestEnv(t)
	hs := e.s3srv.HTTPServer("127.0.0.1:0")
	if hs.ReadHeaderTimeout <= 0 || hs.IdleTimeout <= 0 || hs.MaxHeaderBytes <= 0 || hs.Handler != e.s3srv {
		t.Fatalf("HTTPServer = %+v", hs)
	}
	if hs.ReadTimeout != 0 || hs.WriteTimeout != 0 {
		t.Fatal("whole-request timeouts would cut off large transfers")
	}
}

// lockedBuffer is a bytes.Buffer safe for the server's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
