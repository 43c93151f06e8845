package e2e

import (
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestErrorCodes provokes every S3 error code the single-node front end
// promises, against a real node, and checks status, code and that nothing
// was written.
func TestErrorCodes(t *testing.T) {
	n := startNode(t)
	mustOK := func(r rawResponse) {
		t.Helper()
		if r.status/100 != 2 {
			t.Fatalf("setup request: %d %s", r.status, r.body)
		}
	}
	mustOK(n.do(t, "PUT", "/errs", nil))
	mustOK(n.do(t, "PUT", "/errs/obj", []byte("hello world")))
	mustOK(n.do(t, "PUT", "/full", nil))
	mustOK(n.do(t, "PUT", "/full/x", []byte("x")))
	badMD5 := base64.StdEncoding.EncodeToString(md5.New().Sum(nil))
	bigMeta := strings.Repeat("m", 2100)
	longKey := strings.Repeat("k", 1025)
	xmlBomb := bytes.Repeat([]byte("<Part><PartNumber>1</PartNumber><ETag>x</ETag></Part>"), 100000) // 5.3 MB, over the 4 MiB cap
	init := n.do(t, "POST", "/errs/mp?uploads", nil)
	mustOK(init)
	uploadID := between(string(init.body), "<UploadId>", "</UploadId>")
	part := n.do(t, "PUT", "/errs/mp?partNumber=1&uploadId="+uploadID, []byte("small part"))
	mustOK(part)
	etag := part.header.Get("ETag")
	mustOK(n.do(t, "PUT", "/errs/mp?partNumber=2&uploadId="+uploadID, []byte("last")))
	complete := func(parts ...string) []byte {
		var b strings.Builder
		b.WriteString("<CompleteMultipartUpload>")
		for _, p := range parts {
			b.WriteString(p)
		}
		b.WriteString("</CompleteMultipartUpload>")
		return []byte(b.String())
	}
	p := func(num int, etag string) string {
		return fmt.Sprintf("<Part><PartNumber>%d</PartNumber><ETag>%s</ETag></Part>", num, etag)
	}

	tests := []struct {
		name, method, path string
		body               []byte
		opts               []rawOpt
		status             int
		code               string
	}{
		{"InvalidBucketName", "PUT", "/Bad_Bucket", nil, nil, 400, "InvalidBucketName"},
		{"BucketAlreadyOwnedByYou", "PUT", "/errs", nil, nil, 409, "BucketAlreadyOwnedByYou"},
		{"NoSuchBucket", "GET", "/nosuchbucket?list-type=2", nil, nil, 404, "NoSuchBucket"},
		{"BucketNotEmpty", "DELETE", "/full", nil, nil, 409, "BucketNotEmpty"},
		{"NoSuchKey", "GET", "/errs/missing", nil, nil, 404, "NoSuchKey"},
		{"InvalidRange", "GET", "/errs/obj", nil, []rawOpt{withHeader("Range", "bytes=100-200")}, 416, "InvalidRange"},
		{"PreconditionFailed", "GET", "/errs/obj", nil, []rawOpt{withHeader("If-Match", `"nope"`)}, 412, "PreconditionFailed"},
		{"PutIfNoneMatch", "PUT", "/errs/obj", []byte("new"), []rawOpt{withHeader("If-None-Match", "*")}, 412, "PreconditionFailed"},
		{"BadDigest", "PUT", "/errs/bd", []byte("data"), []rawOpt{withHeader("Content-MD5", badMD5)}, 400, "BadDigest"},
		{"InvalidDigest", "PUT", "/errs/id", []byte("data"), []rawOpt{withHeader("Content-MD5", "!!!")}, 400, "InvalidDigest"},
		{"XAmzContentSHA256Mismatch", "PUT", "/errs/sha", []byte("data"), []rawOpt{withPayloadHash(sha256Hex([]byte("other")))}, 400, "XAmzContentSHA256Mismatch"},
		{"KeyTooLongError", "PUT", "/errs/" + longKey, []byte("x"), nil, 400, "KeyTooLongError"},
		{"MetadataTooLarge", "PUT", "/errs/meta", []byte("x"), []rawOpt{withHeader("X-Amz-Meta-Big", bigMeta)}, 400, "MetadataTooLarge"},
		{"EntityTooLarge", "PUT", "/errs/huge", []byte("x"), []rawOpt{withPayloadHash("UNSIGNED-PAYLOAD"), withStream(zeros{}, 6<<30)}, 400, "EntityTooLarge"},
		{"MissingContentLength", "PUT", "/errs/nolen", nil, []rawOpt{withPayloadHash("UNSIGNED-PAYLOAD"), withStream(strings.NewReader("abc"), -1)}, 411, "MissingContentLength"},
		{"NoSuchUpload", "PUT", "/errs/mp?partNumber=1&uploadId=nosuchupload", []byte("x"), nil, 404, "NoSuchUpload"},
		{"InvalidPartNumber", "PUT", "/errs/mp?partNumber=10001&uploadId=" + uploadID, []byte("x"), nil, 400, "InvalidArgument"},
		{"InvalidPart", "POST", "/errs/mp?uploadId=" + uploadID, complete(p(1, `"00000000000000000000000000000000"`)), nil, 400, "InvalidPart"},
		{"InvalidPartOrder", "POST", "/errs/mp?uploadId=" + uploadID, complete(p(2, `"`+md5hex("last")+`"`), p(1, etag)), nil, 400, "InvalidPartOrder"},
		{"EntityTooSmall", "POST", "/errs/mp?uploadId=" + uploadID, complete(p(1, etag), p(2, `"`+md5hex("last")+`"`)), nil, 400, "EntityTooSmall"},
		{"MalformedXML", "POST", "/errs/mp?uploadId=" + uploadID, []byte("<Complete"), nil, 400, "MalformedXML"},
		{"XMLTooLarge", "POST", "/errs/mp?uploadId=" + uploadID, complete(string(xmlBomb)), nil, 400, "MaxMessageLengthExceeded"},
		{"NotImplemented", "PUT", "/errs?policy", []byte("{}"), nil, 501, "NotImplemented"},
		{"AccessDenied", "GET", "/errs/obj", nil, []rawOpt{withKeys("", "")}, 403, "AccessDenied"},
		{"InvalidAccessKeyId", "GET", "/errs/obj", nil, []rawOpt{withKeys("AKIDNOSUCHUSER000000", "secret")}, 403, "InvalidAccessKeyId"},
		{"SignatureDoesNotMatch", "PUT", "/errs/sig", []byte("x"), []rawOpt{withKeys(n.access, n.secret+"x")}, 403, "SignatureDoesNotMatch"},
		{"RequestTimeTooSkewed", "PUT", "/errs/skew", []byte("x"), []rawOpt{withSignTime(time.Now().Add(-time.Hour))}, 403, "RequestTimeTooSkewed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := n.do(t, tt.method, tt.path, tt.body, tt.opts...)
			if r.status != tt.status {
				t.Fatalf("status %d, want %d; body %s", r.status, tt.status, r.body)
			}
			if tt.code != "" && r.code() != tt.code {
				t.Fatalf("code %q, want %q; body %s", r.code(), tt.code, r.body)
			}
			if r.header.Get("X-Amz-Request-Id") == "" {
				t.Errorf("no x-amz-request-id")
			}
		})
	}
	// Nothing a failed request touched was written.
	for _, key := range []string{"bd", "id", "sha", "meta", "huge", "sig", "skew", "nolen"} {
		if r := n.do(t, "HEAD", "/errs/"+key, nil); r.status != 404 {
			t.Errorf("failed PUT of %s left an object: HEAD %d", key, r.status)
		}
	}
	if r := n.do(t, "GET", "/errs/obj", nil); string(r.body) != "hello world" {
		t.Errorf("failed conditional PUT changed the object: %q", r.body)
	}
	if r := n.do(t, "GET", "/errs/obj", nil, withHeader("If-None-Match", `"`+md5hex("hello world")+`"`)); r.status != 304 {
		t.Errorf("If-None-Match with current ETag: %d, want 304", r.status)
	}
}

// zeros is an endless source of zero bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

func md5hex(s string) string {
	sum := md5.Sum([]byte(s))
	return fmt.Sprintf("%x", sum)
}

func between(s, a, b string) string {
	i := strings.Index(s, a)
	if i < 0 {
		return ""
	}
	s = s[i+len(a):]
	j := strings.Index(s, b)
	if j < 0 {
		return ""
	}
	return s[:j]
}
