package s3_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
)

func stringsReader(s string) io.Reader { return strings.NewReader(s) }

func TestVirtualHostedStyle(t *testing.T) {
	e := newTestEnv(t)
	vh := e.virtualHostSDK()
	ctx := callCtx(t)
	if _, err := vh.CreateBucket(ctx, &awss3.CreateBucketInput{Bucket: aws.String("vhost")}); err != nil {
		t.Fatalf("virtual-hosted CreateBucket: %v", err)
	}
	if _, err := vh.PutObject(ctx, &awss3.PutObjectInput{
		Bucket: aws.String("vhost"), Key: aws.String("dir/key"), Body: stringsReader("via host")}); err != nil {
		t.Fatalf("virtual-hosted PutObject: %v", err)
	}
	out, err := vh.GetObject(ctx, &awss3.GetObjectInput{Bucket: aws.String("vhost"), Key: aws.String("dir/key")})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(out.Body)
	out.Body.Close()
	if string(b) != "via host" {
		t.Fatalf("virtual-hosted GetObject = %q", b)
	}
	// The path-style client sees the same object.
	if got, _ := e.objectBytes(t, "vhost", "dir/key"); string(got) != "via host" {
		t.Fatalf("path-style read = %q", got)
	}
	resp := e.do(t, rawRequest{method: "GET", path: "/nokey", host: "vhost." + testDomain})
	resp.wantError(t, http.StatusNotFound, "NoSuchKey")
}

func TestUnsupportedOperations(t *testing.T) {
	e := newTestEnv(t)
	e.mkBucket(t, "unsup")
	e.putBytes(t, "unsup", "k", []byte("x"))
	notImpl := []struct{ method, path string }{
		{"PUT", "/unsup?policy"}, {"GET", "/unsup?policy"}, {"DELETE", "/unsup?policy"},
		{"PUT", "/unsup?lifecycle"}, {"GET", "/unsup?cors"}, {"PUT", "/unsup?website"},
		{"GET", "/unsup?tagging"}, {"PUT", "/unsup?replication"}, {"PUT", "/unsup?object-lock"},
		{"PUT", "/unsup?versioning"}, {"PUT", "/unsup?acl"}, {"GET", "/unsup?versions"},
		{"PUT", "/unsup/k?acl"}, {"PUT", "/unsup/k?tagging"}, {"GET", "/unsup/k?torrent"},
		{"POST", "/unsup/k?restore"}, {"POST", "/unsup/k?select&select-type=2"},
		{"PUT", "/unsup/k?retention"}, {"POST", "/unsup"}, {"GET", "/unsup/k?attributes"},
	}
	for _, tt := range notImpl {
		e.do(t, rawRequest{method: tt.method, path: tt.path}).wantError(t, http.StatusNotImplemented, "NotImplemented")
	}
	notAllowed := []struct{ method, path string }{
		{"PUT", "/"}, {"DELETE", "/"}, {"POST", "/"}, {"PATCH", "/unsup"}, {"PATCH", "/unsup/k"}, {"POST", "/unsup/k"},
	}
	for _, tt := range notAllowed {
		e.do(t, rawRequest{method: tt.method, path: tt.path}).wantError(t, http.StatusMethodNotAllowed, "MethodNotAllowed")
	}
	// The object is untouched by all of it.
	if got, _ := e.objectBytes(t, "unsup", "k"); string(got) != "x" {
		t.Fatalf("object = %q", got)
	}
	e.do(t, rawRequest{method: "GET", path: "/unsup/k?versionId=3HL4kqtJlcpXroDTDmJ"}).wantError(t, 400, "InvalidArgument")
	e.do(t, rawRequest{method: "GET", path: "/unsup/k?versionId=null"}).wantStatus(t, http.StatusOK)
}

func TestObjectACLAndTorrent(t *testing.T) {
	e := newTestEnv(t)
	e.mkBucket(t, "oacl")
	e.putBytes(t, "oacl", "k", []byte("x"))
	acl, err := e.sdk.GetObjectAcl(callCtx(t), &awss3.GetObjectAclInput{Bucket: aws.String("oacl"), Key: aws.String("k")})
	if err != nil || len(acl.Grants) != 1 || aws.ToString(acl.Owner.ID) != testAccessKey {
		t.Fatalf("GetObjectAcl = %+v, %v", acl, err)
	}
	_, err = e.sdk.GetObjectAcl(callCtx(t), &awss3.GetObjectAclInput{Bucket: aws.String("oacl"), Key: aws.String("none")})
	wantCode(t, err, "NoSuchKey")
}
