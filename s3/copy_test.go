package s3_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/minio/minio-go/v7"
)

func TestCopyObjectDirectives(t *testing.T) {
	e := newTestEnv(t)
	e.mkBucket(t, "src")
	e.mkBucket(t, "dst")
	ctx := callCtx(t)
	_, err := e.sdk.PutObject(ctx, &awss3.PutObjectInput{
		Bucket: aws.String("src"), Key: aws.String("a b/ü+c"), Body: stringsReader("copy me"),
		ContentType: aws.String("text/x-src"), Metadata: map[string]string{"origin": "src"}})
	if err != nil {
		t.Fatal(err)
	}
	source := "src/" + url.PathEscape("a b/ü+c")
	cp, err := e.sdk.CopyObject(ctx, &awss3.CopyObjectInput{
		Bucket: aws.String("dst"), Key: aws.String("copied"), CopySource: aws.String(source)})
	if err != nil {
		t.Fatalf("CopyObject COPY: %v", err)
	}
	if cp.CopyObjectResult == nil || aws.ToString(cp.CopyObjectResult.ETag) == "" || cp.CopyObjectResult.LastModified == nil {
		t.Fatalf("CopyObjectResult = %+v", cp.CopyObjectResult)
	}
	head, err := e.sdk.HeadObject(ctx, &awss3.HeadObjectInput{Bucket: aws.String("dst"), Key: aws.String("copied")})
	if err != nil || aws.ToString(head.ContentType) != "text/x-src" || head.Metadata["origin"] != "src" {
		t.Fatalf("copied object headers = %+v, %v", head, err)
	}
	if got, _ := e.objectBytes(t, "dst", "copied"); string(got) != "copy me" {
		t.Fatalf("copied bytes %q", got)
	}
	_, err = e.sdk.CopyObject(ctx, &awss3.CopyObjectInput{
		Bucket: aws.String("dst"), Key: aws.String("replaced"), CopySource: aws.String(source),
		MetadataDirective: types.MetadataDirectiveReplace, ContentType: aws.String("text/x-new"),
		Metadata: map[string]string{"fresh": "yes"}})
	if err != nil {
		t.Fatalf("CopyObject REPLACE: %v", err)
	}
	head, err = e.sdk.HeadObject(ctx, &awss3.HeadObjectInput{Bucket: aws.String("dst"), Key: aws.String("replaced")})
	if err != nil || aws.ToString(head.ContentType) != "text/x-new" || head.Metadata["fresh"] != "yes" || head.Metadata["origin"] != "" {
		t.Fatalf("replaced object headers = %+v, %v", head, err)
	}
	// Copying onto itself is legal only when the metadata is replaced.
	_, err = e.sdk.CopyObject(ctx, &awss3.CopyObjectInput{
		Bucket: aws.String("dst"), Key: aws.String("copied"), CopySource: aws.String("dst/copied")})
	wantCode(t, err, "InvalidRequest")
	_, err = e.sdk.CopyObject(ctx, &awss3.CopyObjectInput{
		Bucket: aws.String("dst"), Key: aws.String("copied"), CopySource: aws.String("dst/copied"),
		MetadataDirective: types.MetadataDirectiveReplace, Metadata: map[string]string{"touched": "1"}})
	if err != nil {
		t.Fatalf("self copy with REPLACE: %v", err)
	}
}

func TestCopyObjectMinio(t *testing.T) {
	e := newTestEnv(t)
	e.mkBucket(t, "mcopy")
	e.putBytes(t, "mcopy", "from", []byte("minio copy"))
	_, err := e.minio.CopyObject(callCtx(t),
		minio.CopyDestOptions{Bucket: "mcopy", Object: "to"}, minio.CopySrcOptions{Bucket: "mcopy", Object: "from"})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := e.objectBytes(t, "mcopy", "to"); string(got) != "minio copy" {
		t.Fatalf("copy = %q", got)
	}
}

func TestCopyObjectErrors(t *testing.T) {
	e := newTestEnv(t)
	e.mkBucket(t, "cerr")
	put := e.putBytes(t, "cerr", "src", []byte("source"))
	etag := aws.ToString(put.ETag)
	past := time.Now().Add(-time.Hour).UTC().Format(http.TimeFormat)
	tests := []struct {
		name   string
		header []string
		status int
		code   string
	}{
		{"if-match miss", []string{"X-Amz-Copy-Source-If-Match", `"0000"`}, 412, "PreconditionFailed"},
		{"if-none-match hit", []string{"X-Amz-Copy-Source-If-None-Match", etag}, 412, "PreconditionFailed"},
		{"unmodified-since past", []string{"X-Amz-Copy-Source-If-Unmodified-Since", past}, 412, "PreconditionFailed"},
		{"bad directive", []string{"X-Amz-Metadata-Directive", "MERGE"}, 400, "InvalidArgument"},
		{"missing source key", []string{"X-Amz-Copy-Source", "/cerr"}, 400, "InvalidArgument"},
		{"missing source", []string{"X-Amz-Copy-Source", "/cerr/nope"}, 404, "NoSuchKey"},
		{"missing source bucket", []string{"X-Amz-Copy-Source", "/nobucket/src"}, 404, "NoSuchBucket"},
		{"source version", []string{"X-Amz-Copy-Source", "/cerr/src?versionId=abc"}, 400, "InvalidArgument"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := hdr(append([]string{"X-Amz-Copy-Source", "/cerr/src"}, tt.header...)...)
			e.do(t, rawRequest{method: "PUT", path: "/cerr/dst", header: h}).wantError(t, tt.status, tt.code)
		})
	}
	if _, ok := e.objectBytes(t, "cerr", "dst"); ok {
		t.Fatal("a failed copy stored the destination")
	}
	ok := hdr("X-Amz-Copy-Source", "/cerr/src", "X-Amz-Copy-Source-If-Match", etag,
		"X-Amz-Copy-Source-If-Unmodified-Since", past) // If-Match true wins, as S3 documents
	e.do(t, rawRequest{method: "PUT", path: "/cerr/dst", header: ok}).wantStatus(t, http.StatusOK)
}
