package e2e

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"github.com/minio/minio-go/v7"
)

// TestSDKRoundTrip drives a real node with aws-sdk-go-v2, using the SDK's
// default request checksums (CRC32 in an aws-chunked trailer).
func TestSDKRoundTrip(t *testing.T) {
	n := startNode(t)
	c := n.sdk(t)
	cx := ctx(t, 2*time.Minute)
	if _, err := c.CreateBucket(cx, &s3.CreateBucketInput{Bucket: aws.String("sdk")}); err != nil {
		t.Fatal(err)
	}
	for _, size := range []int{0, 1, 4 << 10, 1<<20 + 1, 9 << 20} {
		body, sum := randomBytes(t, size)
		key := fmt.Sprintf("dir/obj-%d", size)
		put, err := c.PutObject(cx, &s3.PutObjectInput{
			Bucket: aws.String("sdk"), Key: aws.String(key), Body: bytes.NewReader(body),
			ContentType: aws.String("application/x-test"), Metadata: map[string]string{"color": "blue"},
		})
		if err != nil {
			t.Fatalf("put %d: %v", size, err)
		}
		got, err := c.GetObject(cx, &s3.GetObjectInput{Bucket: aws.String("sdk"), Key: aws.String(key)})
		if err != nil {
			t.Fatalf("get %d: %v", size, err)
		}
		b, err := io.ReadAll(got.Body)
		got.Body.Close()
		if err != nil || sha256Hex(b) != sum {
			t.Fatalf("get %d: %v, sha256 mismatch", size, err)
		}
		if aws.ToString(got.ETag) != aws.ToString(put.ETag) || aws.ToString(got.ContentType) != "application/x-test" || got.Metadata["color"] != "blue" {
			t.Errorf("get %d: etag %s/%s type %s meta %v", size, aws.ToString(got.ETag), aws.ToString(put.ETag), aws.ToString(got.ContentType), got.Metadata)
		}
	}
	// Range.
	body, _ := randomBytes(t, 100000)
	mustPut(t, c, "sdk", "range", body)
	for _, tc := range []struct {
		rng        string
		start, end int
	}{{"bytes=0-0", 0, 1}, {"bytes=10-99", 10, 100}, {"bytes=-500", 99500, 100000}, {"bytes=99990-", 99990, 100000}} {
		got, err := c.GetObject(cx, &s3.GetObjectInput{Bucket: aws.String("sdk"), Key: aws.String("range"), Range: aws.String(tc.rng)})
		if err != nil {
			t.Fatalf("range %s: %v", tc.rng, err)
		}
		b, _ := io.ReadAll(got.Body)
		got.Body.Close()
		if !bytes.Equal(b, body[tc.start:tc.end]) {
			t.Errorf("range %s: got %d bytes, want %d", tc.rng, len(b), tc.end-tc.start)
		}
	}
	// Copy with REPLACE and listing with delimiter.
	if _, err := c.CopyObject(cx, &s3.CopyObjectInput{
		Bucket: aws.String("sdk"), Key: aws.String("copy"), CopySource: aws.String("sdk/range"),
		MetadataDirective: types.MetadataDirectiveReplace, Metadata: map[string]string{"k": "v"},
	}); err != nil {
		t.Fatal(err)
	}
	list, err := c.ListObjectsV2(cx, &s3.ListObjectsV2Input{Bucket: aws.String("sdk"), Delimiter: aws.String("/")})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.CommonPrefixes) != 1 || aws.ToString(list.CommonPrefixes[0].Prefix) != "dir/" || len(list.Contents) != 2 {
		t.Errorf("list: prefixes %v, %d objects", list.CommonPrefixes, len(list.Contents))
	}
	// A missing key is NoSuchKey through the SDK's typed error.
	_, err = c.GetObject(cx, &s3.GetObjectInput{Bucket: aws.String("sdk"), Key: aws.String("nope")})
	var nsk *types.NoSuchKey
	if !errors.As(err, &nsk) {
		t.Errorf("get missing: %v, want NoSuchKey", err)
	}
}

func mustPut(t *testing.T, c *s3.Client, bucket, key string, body []byte) {
	t.Helper()
	if _, err := c.PutObject(t.Context(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body)}); err != nil {
		t.Fatalf("put %s/%s: %v", bucket, key, err)
	}
}

// TestSDKMultipart uploads parts with the SDK and checks the assembled bytes
// and the multipart ETag form.
func TestSDKMultipart(t *testing.T) {
	n := startNode(t)
	c := n.sdk(t)
	cx := ctx(t, 2*time.Minute)
	if _, err := c.CreateBucket(cx, &s3.CreateBucketInput{Bucket: aws.String("mpu")}); err != nil {
		t.Fatal(err)
	}
	up, err := c.CreateMultipartUpload(cx, &s3.CreateMultipartUploadInput{Bucket: aws.String("mpu"), Key: aws.String("big")})
	if err != nil {
		t.Fatal(err)
	}
	var all []byte
	var parts []types.CompletedPart
	for i, size := range []int{5 << 20, 5 << 20, 1234} {
		b, _ := randomBytes(t, size)
		all = append(all, b...)
		res, err := c.UploadPart(cx, &s3.UploadPartInput{
			Bucket: aws.String("mpu"), Key: aws.String("big"), UploadId: up.UploadId,
			PartNumber: aws.Int32(int32(i + 1)), Body: bytes.NewReader(b),
		})
		if err != nil {
			t.Fatalf("part %d: %v", i+1, err)
		}
		parts = append(parts, types.CompletedPart{PartNumber: aws.Int32(int32(i + 1)), ETag: res.ETag})
	}
	done, err := c.CompleteMultipartUpload(cx, &s3.CompleteMultipartUploadInput{
		Bucket: aws.String("mpu"), Key: aws.String("big"), UploadId: up.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
	})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(aws.ToString(done.ETag), `-3"`) {
		t.Errorf("multipart ETag %s, want suffix -3", aws.ToString(done.ETag))
	}
	got, err := c.GetObject(cx, &s3.GetObjectInput{Bucket: aws.String("mpu"), Key: aws.String("big")})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(got.Body)
	got.Body.Close()
	if sha256Hex(b) != sha256Hex(all) {
		t.Fatalf("multipart object differs: %d bytes, want %d", len(b), len(all))
	}
}

// TestPresigned checks presigned GET and PUT URLs made by the SDK, and that
// a tampered one is refused without writing.
func TestPresigned(t *testing.T) {
	n := startNode(t)
	c := n.sdk(t)
	cx := ctx(t, time.Minute)
	c.CreateBucket(cx, &s3.CreateBucketInput{Bucket: aws.String("pre")})
	ps := s3.NewPresignClient(c)
	put, err := ps.PresignPutObject(cx, &s3.PutObjectInput{Bucket: aws.String("pre"), Key: aws.String("k")}, s3.WithPresignExpires(10*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	body := []byte("presigned body")
	req, _ := http.NewRequestWithContext(cx, "PUT", put.URL, bytes.NewReader(body))
	for k, v := range put.SignedHeader {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("presigned PUT: %v %v", err, resp)
	}
	resp.Body.Close()
	get, err := ps.PresignGetObject(cx, &s3.GetObjectInput{Bucket: aws.String("pre"), Key: aws.String("k")})
	if err != nil {
		t.Fatal(err)
	}
	resp, err = http.Get(get.URL)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.Equal(got, body) {
		t.Fatalf("presigned GET: %d %q", resp.StatusCode, got)
	}
	// Tampered: another key under the same signature.
	bad := strings.Replace(put.URL, "/pre/k?", "/pre/evil?", 1)
	req, _ = http.NewRequestWithContext(cx, "PUT", bad, bytes.NewReader(body))
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Errorf("tampered presigned PUT: %d, want 403", resp.StatusCode)
	}
	_, err = c.HeadObject(cx, &s3.HeadObjectInput{Bucket: aws.String("pre"), Key: aws.String("evil")})
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "NotFound" {
		t.Errorf("tampered PUT wrote an object: %v", err)
	}
}

// TestMinio drives a real node with minio-go: streaming-signed PUT, its own
// multipart upload for large objects, listing and batch delete.
func TestMinio(t *testing.T) {
	n := startNode(t)
	mc := n.minio(t)
	cx := ctx(t, 2*time.Minute)
	if err := mc.MakeBucket(cx, "mio", minio.MakeBucketOptions{}); err != nil {
		t.Fatal(err)
	}
	sizes := []int{0, 100, 17 << 20} // 17 MiB crosses minio-go's multipart threshold with PartSize 5 MiB
	for _, size := range sizes {
		body, sum := randomBytes(t, size)
		key := fmt.Sprintf("m/%d", size)
		if _, err := mc.PutObject(cx, "mio", key, bytes.NewReader(body), int64(size), minio.PutObjectOptions{PartSize: 5 << 20}); err != nil {
			t.Fatalf("minio put %d: %v", size, err)
		}
		obj, err := mc.GetObject(cx, "mio", key, minio.GetObjectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(obj)
		if err != nil || sha256Hex(b) != sum {
			t.Fatalf("minio get %d: %v, sha256 mismatch", size, err)
		}
	}
	var keys []string
	for o := range mc.ListObjects(cx, "mio", minio.ListObjectsOptions{Recursive: true}) {
		if o.Err != nil {
			t.Fatal(o.Err)
		}
		keys = append(keys, o.Key)
	}
	if len(keys) != len(sizes) {
		t.Fatalf("listed %v", keys)
	}
	ch := make(chan minio.ObjectInfo, len(keys))
	for _, k := range keys {
		ch <- minio.ObjectInfo{Key: k}
	}
	close(ch)
	for e := range mc.RemoveObjects(cx, "mio", ch, minio.RemoveObjectsOptions{}) {
		t.Errorf("remove %s: %v", e.ObjectName, e.Err)
	}
	if err := mc.RemoveBucket(cx, "mio"); err != nil {
		t.Errorf("remove bucket after deleting all: %v", err)
	}
}
