package s3_test

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/minio/minio-go/v7"
)

const lsMib = 1 << 20

// lsRandomBytes returns n deterministic pseudo-random bytes.
func lsRandomBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// lsStartUpload creates a multipart upload with the SDK.
func lsStartUpload(t *testing.T, e *testEnv, bucket, key string) string {
	t.Helper()
	out, err := e.sdk.CreateMultipartUpload(callCtx(t), &awss3.CreateMultipartUploadInput{
		Bucket: aws.String(bucket), Key: aws.String(key), ContentType: aws.String("text/plain"),
		Metadata: map[string]string{"color": "blue"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.Bucket) != bucket || aws.ToString(out.Key) != key || aws.ToString(out.UploadId) == "" {
		t.Fatalf("CreateMultipartUpload answered %+v", out)
	}
	return aws.ToString(out.UploadId)
}

// lsUploadPart uploads data as part n and returns its ETag.
func lsUploadPart(t *testing.T, e *testEnv, bucket, key, id string, n int32, data []byte) string {
	t.Helper()
	out, err := e.sdk.UploadPart(callCtx(t), &awss3.UploadPartInput{
		Bucket: aws.String(bucket), Key: aws.String(key), UploadId: aws.String(id),
		PartNumber: aws.Int32(n), Body: bytes.NewReader(data),
	})
	if err != nil {
		t.Fatalf("upload part %d: %v", n, err)
	}
	return aws.ToString(out.ETag)
}

func lsCompleted(etags ...string) *types.CompletedMultipartUpload {
	var parts []types.CompletedPart
	for i, et := range etags {
		parts = append(parts, types.CompletedPart{PartNumber: aws.Int32(int32(i + 1)), ETag: aws.String(et)})
	}
	return &types.CompletedMultipartUpload{Parts: parts}
}

func TestMultipartFullFlowWithCopyRange(t *testing.T) {
	e := newTestEnv(t)
	e.seedBucket(t, "mpb")
	src := lsRandomBytes(6*lsMib, 1)
	e.seedObject(t, "mpb", "source", src)
	id := lsStartUpload(t, e, "mpb", "big")

	part1 := lsRandomBytes(5*lsMib, 2)
	et1 := lsUploadPart(t, e, "mpb", "big", id, 1, part1)
	first, last := 1000, 1000+5*lsMib-1
	cp, err := e.sdk.UploadPartCopy(callCtx(t), &awss3.UploadPartCopyInput{
		Bucket: aws.String("mpb"), Key: aws.String("big"), UploadId: aws.String(id), PartNumber: aws.Int32(2),
		CopySource: aws.String("mpb/source"), CopySourceRange: aws.String(fmt.Sprintf("bytes=%d-%d", first, last)),
	})
	if err != nil {
		t.Fatal(err)
	}
	et2 := aws.ToString(cp.CopyPartResult.ETag)
	part3 := []byte("tail")
	et3 := lsUploadPart(t, e, "mpb", "big", id, 3, part3)

	parts, err := e.sdk.ListParts(callCtx(t), &awss3.ListPartsInput{Bucket: aws.String("mpb"), Key: aws.String("big"), UploadId: aws.String(id)})
	if err != nil {
		t.Fatal(err)
	}
	if len(parts.Parts) != 3 || aws.ToInt64(parts.Parts[1].Size) != 5*lsMib || aws.ToString(parts.Parts[1].ETag) != et2 {
		t.Fatalf("ListParts: %+v", parts.Parts)
	}

	done, err := e.sdk.CompleteMultipartUpload(callCtx(t), &awss3.CompleteMultipartUploadInput{
		Bucket: aws.String("mpb"), Key: aws.String("big"), UploadId: aws.String(id), MultipartUpload: lsCompleted(et1, et2, et3),
	})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(aws.ToString(done.ETag), `-3"`) || aws.ToString(done.Key) != "big" || !strings.HasSuffix(aws.ToString(done.Location), "/mpb/big") {
		t.Fatalf("CompleteMultipartUpload answered ETag %s Key %s Location %s", aws.ToString(done.ETag), aws.ToString(done.Key), aws.ToString(done.Location))
	}
	want := slices.Concat(part1, src[first:last+1], part3)
	get, err := e.sdk.GetObject(callCtx(t), &awss3.GetObjectInput{Bucket: aws.String("mpb"), Key: aws.String("big")})
	if err != nil {
		t.Fatal(err)
	}
	defer get.Body.Close()
	got, err := io.ReadAll(get.Body)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("object has %d bytes, want %d: content differs", len(got), len(want))
	}
	if get.Metadata["color"] != "blue" || aws.ToString(get.ContentType) != "text/plain" {
		t.Errorf("metadata not kept: %v %s", get.Metadata, aws.ToString(get.ContentType))
	}
}

func TestMultipartMinioPutObject(t *testing.T) {
	e := newTestEnv(t)
	e.seedBucket(t, "mpb")
	data := lsRandomBytes(11*lsMib, 3)
	info, err := e.minio.PutObject(callCtx(t), "mpb", "obj", bytes.NewReader(data), int64(len(data)), minio.PutObjectOptions{PartSize: 5 * lsMib})
	if err != nil {
		t.Fatal(err)
	}
	if info.Size != int64(len(data)) || !strings.HasSuffix(info.ETag, "-3") {
		t.Fatalf("PutObject: size %d etag %s", info.Size, info.ETag)
	}
	obj, err := e.minio.GetObject(callCtx(t), "mpb", "obj", minio.GetObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer obj.Close()
	got, err := io.ReadAll(obj)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read back %d bytes (err %v), want the %d written", len(got), err, len(data))
	}
}

func TestCompleteMultipartErrors(t *testing.T) {
	e := newTestEnv(t)
	e.seedBucket(t, "mpb")
	big := lsRandomBytes(5*lsMib, 4)
	tests := []struct {
		name  string
		parts func(id string) *types.CompletedMultipartUpload
		code  string
	}{
		{"wrong etag", func(id string) *types.CompletedMultipartUpload {
			lsUploadPart(t, e, "mpb", "k", id, 1, big)
			return lsCompleted(`"00000000000000000000000000000000"`)
		}, "InvalidPart"},
		{"missing part", func(id string) *types.CompletedMultipartUpload {
			et := lsUploadPart(t, e, "mpb", "k", id, 1, big)
			c := lsCompleted(et)
			c.Parts = append(c.Parts, types.CompletedPart{PartNumber: aws.Int32(7), ETag: aws.String(et)})
			return c
		}, "InvalidPart"},
		{"descending", func(id string) *types.CompletedMultipartUpload {
			et1 := lsUploadPart(t, e, "mpb", "k", id, 1, big)
			et2 := lsUploadPart(t, e, "mpb", "k", id, 2, []byte("x"))
			return &types.CompletedMultipartUpload{Parts: []types.CompletedPart{
				{PartNumber: aws.Int32(2), ETag: aws.String(et2)}, {PartNumber: aws.Int32(1), ETag: aws.String(et1)}}}
		}, "InvalidPartOrder"},
		{"small first part", func(id string) *types.CompletedMultipartUpload {
			et1 := lsUploadPart(t, e, "mpb", "k", id, 1, []byte("small"))
			et2 := lsUploadPart(t, e, "mpb", "k", id, 2, []byte("x"))
			return lsCompleted(et1, et2)
		}, "EntityTooSmall"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := lsStartUpload(t, e, "mpb", "k")
			_, err := e.sdk.CompleteMultipartUpload(callCtx(t), &awss3.CompleteMultipartUploadInput{
				Bucket: aws.String("mpb"), Key: aws.String("k"), UploadId: aws.String(id), MultipartUpload: tt.parts(id),
			})
			wantCode(t, err, tt.code)
			if _, err := e.store.HeadObject(t.Context(), e.user, "mpb", "k"); err == nil {
				t.Fatal("a failed complete created the object")
			}
		})
	}
	_, err := e.sdk.CompleteMultipartUpload(callCtx(t), &awss3.CompleteMultipartUploadInput{
		Bucket: aws.String("mpb"), Key: aws.String("k"), UploadId: aws.String("no-such-upload"), MultipartUpload: lsCompleted(`"abc"`),
	})
	wantCode(t, err, "NoSuchUpload")
}

func TestCompleteMultipartQuotesOptionalAndConditions(t *testing.T) {
	e := newTestEnv(t)
	e.seedBucket(t, "mpb")
	e.seedObject(t, "mpb", "exists", []byte("old"))
	id := lsStartUpload(t, e, "mpb", "exists")
	et := strings.Trim(lsUploadPart(t, e, "mpb", "exists", id, 1, []byte("new")), `"`)
	body := fmt.Sprintf(`<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>%s</ETag></Part></CompleteMultipartUpload>`, et)
	status, resp := e.call(t, "POST", "/mpb/exists?uploadId="+id, []byte(body), http.Header{"If-None-Match": {"*"}})
	wantXMLError(t, status, resp, http.StatusPreconditionFailed, "PreconditionFailed")
	status, resp = e.call(t, "POST", "/mpb/exists?uploadId="+id, []byte(body), nil)
	if status != 200 || !strings.Contains(string(resp), "<CompleteMultipartUploadResult") {
		t.Fatalf("unquoted ETag: status %d: %s", status, resp)
	}
}

func TestMultipartBadRequests(t *testing.T) {
	e := newTestEnv(t)
	e.seedBucket(t, "mpb")
	e.seedObject(t, "mpb", "src", []byte("0123456789"))
	id := lsStartUpload(t, e, "mpb", "k")
	part := "/mpb/k?uploadId=" + id + "&partNumber="
	copyFrom := func(rng string) http.Header {
		return http.Header{"X-Amz-Copy-Source": {"/mpb/src"}, "X-Amz-Copy-Source-Range": {rng}}
	}
	tests := []struct {
		name, method, path, body string
		hdr                      http.Header
		status                   int
		code                     string
	}{
		{"part 0", "PUT", part + "0", "x", nil, 400, "InvalidArgument"},
		{"part 10001", "PUT", part + "10001", "x", nil, 400, "InvalidArgument"},
		{"part not a number", "PUT", part + "one", "x", nil, 400, "InvalidArgument"},
		{"unknown upload", "PUT", "/mpb/k?uploadId=nope&partNumber=1", "x", nil, 404, "NoSuchUpload"},
		{"copy range syntax", "PUT", part + "1", "", copyFrom("bytes=5-1"), 400, "InvalidArgument"},
		{"copy range suffix", "PUT", part + "1", "", copyFrom("bytes=-3"), 400, "InvalidArgument"},
		{"copy range past end", "PUT", part + "1", "", copyFrom("bytes=5-10"), 416, "InvalidRange"},
		{"copy missing source", "PUT", part + "1", "", http.Header{"X-Amz-Copy-Source": {"/mpb/none"}}, 404, "NoSuchKey"},
		{"copy source if-match", "PUT", part + "1", "", http.Header{"X-Amz-Copy-Source": {"/mpb/src"}, "X-Amz-Copy-Source-If-Match": {`"abc"`}}, 412, "PreconditionFailed"},
		{"complete empty", "POST", "/mpb/k?uploadId=" + id, "<CompleteMultipartUpload></CompleteMultipartUpload>", nil, 400, "MalformedXML"},
		{"complete garbage", "POST", "/mpb/k?uploadId=" + id, "<CompleteMultipartUpload><Part>", nil, 400, "MalformedXML"},
		{"complete part 0", "POST", "/mpb/k?uploadId=" + id, "<CompleteMultipartUpload><Part><PartNumber>0</PartNumber><ETag>x</ETag></Part></CompleteMultipartUpload>", nil, 400, "InvalidArgument"},
		{"complete too many", "POST", "/mpb/k?uploadId=" + id, "<CompleteMultipartUpload>" + strings.Repeat("<Part><PartNumber>1</PartNumber><ETag>x</ETag></Part>", 10001) + "</CompleteMultipartUpload>", nil, 400, "InvalidArgument"},
		{"list parts bad max", "GET", "/mpb/k?uploadId=" + id + "&max-parts=-1", "", nil, 400, "InvalidArgument"},
		{"list parts bad marker", "GET", "/mpb/k?uploadId=" + id + "&part-number-marker=x", "", nil, 400, "InvalidArgument"},
		{"list uploads bad max", "GET", "/mpb?uploads&max-uploads=x", "", nil, 400, "InvalidArgument"},
		{"list uploads bad encoding", "GET", "/mpb?uploads&encoding-type=xml", "", nil, 400, "InvalidArgument"},
		{"abort unknown", "DELETE", "/mpb/k?uploadId=nope", "", nil, 404, "NoSuchUpload"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := e.call(t, tt.method, tt.path, []byte(tt.body), tt.hdr)
			wantXMLError(t, status, body, tt.status, tt.code)
		})
	}
	status, body := e.call(t, "PUT", part+"1", nil, copyFrom("bytes=2-4"))
	if status != 200 || !strings.Contains(string(body), "<CopyPartResult") {
		t.Fatalf("valid copy range: %d %s", status, body)
	}
	if status, body = e.call(t, "DELETE", "/mpb/k?uploadId="+id, nil, nil); status != http.StatusNoContent {
		t.Fatalf("abort: %d %s", status, body)
	}
	status, body = e.call(t, "GET", "/mpb/k?uploadId="+id, nil, nil)
	wantXMLError(t, status, body, 404, "NoSuchUpload")
}

func TestUploadPartOver5GiB(t *testing.T) {
	e := newTestEnv(t)
	e.seedBucket(t, "mpb")
	id := lsStartUpload(t, e, "mpb", "k")
	// Announce 5 GiB + 1 without sending it: the server must refuse from
	// the headers alone.
	c := e.dialRaw(t)
	c.send(t, e.signedHead(t, "PUT", "/mpb/k?partNumber=1&uploadId="+id, testSecret, fmt.Sprintf("Content-Length: %d", int64(5<<30+1))))
	resp := c.read(t)
	wantXMLError(t, resp.status, resp.body, 400, "EntityTooLarge")
}

func TestMultipartMinioComposeObject(t *testing.T) {
	e := newTestEnv(t)
	e.seedBucket(t, "mpb")
	a, b := lsRandomBytes(6*lsMib, 5), lsRandomBytes(3*lsMib, 6)
	e.seedObject(t, "mpb", "a", a)
	e.seedObject(t, "mpb", "b", b)
	srcs := []minio.CopySrcOptions{
		{Bucket: "mpb", Object: "a", MatchRange: true, Start: 512, End: 512 + 5*lsMib - 1},
		{Bucket: "mpb", Object: "b"},
	}
	if _, err := e.minio.ComposeObject(callCtx(t), minio.CopyDestOptions{Bucket: "mpb", Object: "composed"}, srcs...); err != nil {
		t.Fatal(err)
	}
	obj, err := e.minio.GetObject(callCtx(t), "mpb", "composed", minio.GetObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer obj.Close()
	got, err := io.ReadAll(obj)
	if want := slices.Concat(a[512:512+5*lsMib], b); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("composed object: %d bytes (err %v), want %d", len(got), err, len(want))
	}
}

func TestUploadPartChecksumEchoed(t *testing.T) {
	e := newTestEnv(t)
	e.seedBucket(t, "mpb")
	id := lsStartUpload(t, e, "mpb", "k")
	data := []byte("checksummed part")
	var sum [4]byte
	binary.BigEndian.PutUint32(sum[:], crc32.Checksum(data, crc32.MakeTable(crc32.Castagnoli)))
	want := base64.StdEncoding.EncodeToString(sum[:])
	out, err := e.sdk.UploadPart(callCtx(t), &awss3.UploadPartInput{
		Bucket: aws.String("mpb"), Key: aws.String("k"), UploadId: aws.String(id), PartNumber: aws.Int32(1),
		Body: bytes.NewReader(data), ChecksumAlgorithm: types.ChecksumAlgorithmCrc32c,
	})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.ChecksumCRC32C) != want {
		t.Fatalf("UploadPart answered CRC32C %q, want %q", aws.ToString(out.ChecksumCRC32C), want)
	}
	parts, err := e.sdk.ListParts(callCtx(t), &awss3.ListPartsInput{Bucket: aws.String("mpb"), Key: aws.String("k"), UploadId: aws.String(id)})
	if err != nil {
		t.Fatal(err)
	}
	if len(parts.Parts) != 1 || aws.ToString(parts.Parts[0].ChecksumCRC32C) != want {
		t.Fatalf("ListParts: %+v", parts.Parts)
	}
}
