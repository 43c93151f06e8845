package s3_test

import (
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/minio/minio-go/v7"
)

func TestPutGetSDKWithChecksums(t *testing.T) {
	e := newTestEnv(t)
	e.mkBucket(t, "objs")
	data := bytes.Repeat([]byte("d3s object bytes "), 40000) // ~680 KB, several aws-chunked chunks
	ctx := callCtx(t)
	put, err := e.sdk.PutObject(ctx, &awss3.PutObjectInput{
		Bucket: aws.String("objs"), Key: aws.String("dir/obj.txt"), Body: bytes.NewReader(data),
		ContentType: aws.String("text/plain"), CacheControl: aws.String("max-age=60"),
		ContentDisposition: aws.String(`attachment; filename="o.txt"`),
		Metadata:           map[string]string{"color": "blue", "Mixed-Case": "Value"},
	})
	if err != nil {
		t.Fatalf("PutObject with CRC32: %v", err)
	}
	sum := md5.Sum(data)
	wantETag := `"` + hex.EncodeToString(sum[:]) + `"`
	if aws.ToString(put.ETag) != wantETag || aws.ToString(put.ChecksumCRC32) == "" {
		t.Fatalf("PutObject ETag %s checksum %q, want %s and a CRC32", aws.ToString(put.ETag), aws.ToString(put.ChecksumCRC32), wantETag)
	}
	get, err := e.sdk.GetObject(ctx, &awss3.GetObjectInput{
		Bucket: aws.String("objs"), Key: aws.String("dir/obj.txt"), ChecksumMode: types.ChecksumModeEnabled})
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(get.Body) // the SDK validates the CRC32 as it reads
	get.Body.Close()
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("GetObject read %d bytes, err %v; want %d identical bytes", len(got), err, len(data))
	}
	if aws.ToString(get.ETag) != wantETag || aws.ToString(get.ContentType) != "text/plain" ||
		aws.ToString(get.CacheControl) != "max-age=60" || aws.ToString(get.ContentDisposition) != `attachment; filename="o.txt"` ||
		get.Metadata["color"] != "blue" || get.Metadata["mixed-case"] != "Value" ||
		aws.ToInt64(get.ContentLength) != int64(len(data)) || aws.ToString(get.ChecksumCRC32) != aws.ToString(put.ChecksumCRC32) {
		t.Fatalf("GetObject headers: etag %s type %s cache %s meta %v len %d crc %s",
			aws.ToString(get.ETag), aws.ToString(get.ContentType), aws.ToString(get.CacheControl), get.Metadata,
			aws.ToInt64(get.ContentLength), aws.ToString(get.ChecksumCRC32))
	}
	if get.LastModified == nil || time.Since(*get.LastModified) > time.Minute {
		t.Fatalf("LastModified = %v", get.LastModified)
	}
	head, err := e.sdk.HeadObject(ctx, &awss3.HeadObjectInput{Bucket: aws.String("objs"), Key: aws.String("dir/obj.txt")})
	if err != nil || aws.ToInt64(head.ContentLength) != int64(len(data)) || aws.ToString(head.ETag) != wantETag {
		t.Fatalf("HeadObject = %+v, %v", head, err)
	}
	if _, err := e.sdk.DeleteObject(ctx, &awss3.DeleteObjectInput{Bucket: aws.String("objs"), Key: aws.String("dir/obj.txt")}); err != nil {
		t.Fatal(err)
	}
	if _, ok := e.objectBytes(t, "objs", "dir/obj.txt"); ok {
		t.Fatal("object still readable after DeleteObject")
	}
	_, err = e.sdk.HeadObject(ctx, &awss3.HeadObjectInput{Bucket: aws.String("objs"), Key: aws.String("dir/obj.txt")})
	wantCode(t, err, "NotFound")
}

func TestPutGetMinio(t *testing.T) {
	e := newTestEnv(t)
	if err := e.minio.MakeBucket(callCtx(t), "mbucket", minio.MakeBucketOptions{}); err != nil {
		t.Fatal(err)
	}
	data := bytes.Repeat([]byte{0, 1, 2, 3, 250}, 100000)
	for _, key := range []string{"plain", "with space/and+plus", "ünïcode/日本語", "a//double"} {
		_, err := e.minio.PutObject(callCtx(t), "mbucket", key, bytes.NewReader(data), int64(len(data)),
			minio.PutObjectOptions{ContentType: "application/x-test", UserMetadata: map[string]string{"k": "v"}})
		if err != nil {
			t.Fatalf("minio PutObject %q: %v", key, err)
		}
		obj, err := e.minio.GetObject(callCtx(t), "mbucket", key, minio.GetObjectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(obj)
		obj.Close()
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("minio GetObject %q: %d bytes, %v", key, len(got), err)
		}
		st, err := e.minio.StatObject(callCtx(t), "mbucket", key, minio.StatObjectOptions{})
		if err != nil || st.ContentType != "application/x-test" || st.UserMetadata["K"] != "v" || st.Size != int64(len(data)) {
			t.Fatalf("minio StatObject %q = %+v, %v", key, st, err)
		}
		if err := e.minio.RemoveObject(callCtx(t), "mbucket", key, minio.RemoveObjectOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	_, err := e.minio.StatObject(callCtx(t), "mbucket", "plain", minio.StatObjectOptions{})
	wantCode(t, err, "NoSuchKey")
}

func TestGetObjectRange(t *testing.T) {
	e := newTestEnv(t)
	e.mkBucket(t, "rng")
	data := []byte("0123456789abcdefghij") // 20 bytes
	e.putBytes(t, "rng", "k", data)
	tests := []struct {
		rng        string
		status     int
		body       string
		contentRng string
	}{
		{"bytes=0-4", 206, "01234", "bytes 0-4/20"},
		{"bytes=5-", 206, "56789abcdefghij", "bytes 5-19/20"},
		{"bytes=-3", 206, "hij", "bytes 17-19/20"},
		{"bytes=-50", 206, string(data), "bytes 0-19/20"},
		{"bytes=10-100", 206, "abcdefghij", "bytes 10-19/20"},
		{"bytes=19-19", 206, "j", "bytes 19-19/20"},
		{"bytes=0-1,5-6", 200, string(data), ""}, // several ranges: whole object, as S3
		{"bytes=5-2", 200, string(data), ""},     // invalid: ignored
		{"items=0-1", 200, string(data), ""},
		{"bytes=20-", 416, "", "bytes */20"},
		{"bytes=-0", 416, "", "bytes */20"},
	}
	for _, tt := range tests {
		resp := e.do(t, rawRequest{method: "GET", path: "/rng/k", header: hdr("Range", tt.rng)})
		if tt.status == 416 {
			resp.wantError(t, http.StatusRequestedRangeNotSatisfiable, "InvalidRange")
		} else if resp.status != tt.status || string(resp.body) != tt.body {
			t.Errorf("Range %q: %d %q, want %d %q", tt.rng, resp.status, resp.body, tt.status, tt.body)
		}
		if got := resp.header.Get("Content-Range"); got != tt.contentRng {
			t.Errorf("Range %q: Content-Range %q, want %q", tt.rng, got, tt.contentRng)
		}
		if tt.status == 206 && resp.header.Get("Content-Length") != strconv.Itoa(len(tt.body)) {
			t.Errorf("Range %q: Content-Length %q", tt.rng, resp.header.Get("Content-Length"))
		}
	}
	out, err := e.sdk.GetObject(callCtx(t), &awss3.GetObjectInput{
		Bucket: aws.String("rng"), Key: aws.String("k"), Range: aws.String("bytes=3-5")})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(out.Body)
	out.Body.Close()
	if string(got) != "345" || aws.ToString(out.ContentRange) != "bytes 3-5/20" {
		t.Fatalf("SDK range read %q %q", got, aws.ToString(out.ContentRange))
	}
}

func TestGetObjectConditions(t *testing.T) {
	e := newTestEnv(t)
	e.mkBucket(t, "cond")
	put := e.putBytes(t, "cond", "k", []byte("conditional"))
	etag := aws.ToString(put.ETag)
	head := e.do(t, rawRequest{method: "HEAD", path: "/cond/k"})
	lm, err := http.ParseTime(head.header.Get("Last-Modified"))
	if err != nil {
		t.Fatal(err)
	}
	past, future := lm.Add(-time.Hour).Format(http.TimeFormat), lm.Add(time.Hour).Format(http.TimeFormat)
	now := lm.Format(http.TimeFormat)
	tests := []struct {
		name   string
		header []string
		status int
	}{
		{"if-match hit", []string{"If-Match", etag}, 200},
		{"if-match star", []string{"If-Match", "*"}, 200},
		{"if-match miss", []string{"If-Match", `"0000"`}, 412},
		{"if-match list", []string{"If-Match", `"0000", ` + etag}, 200},
		{"if-none-match hit", []string{"If-None-Match", etag}, 304},
		{"if-none-match miss", []string{"If-None-Match", `"0000"`}, 200},
		{"if-modified-since past", []string{"If-Modified-Since", past}, 200},
		{"if-modified-since now", []string{"If-Modified-Since", now}, 304},
		{"if-unmodified-since past", []string{"If-Unmodified-Since", past}, 412},
		{"if-unmodified-since future", []string{"If-Unmodified-Since", future}, 200},
		// RFC 9110 precedence, as S3 documents it:
		{"if-match true wins over unmodified false", []string{"If-Match", etag, "If-Unmodified-Since", past}, 200},
		{"if-none-match false wins over modified true", []string{"If-None-Match", `"0000"`, "If-Modified-Since", now}, 200},
		{"if-none-match true with modified true", []string{"If-None-Match", etag, "If-Modified-Since", past}, 304},
		{"precondition before not-modified", []string{"If-Match", `"0000"`, "If-None-Match", etag}, 412},
		{"malformed date ignored", []string{"If-Modified-Since", "yesterday"}, 200},
	}
	for _, tt := range tests {
		for _, method := range []string{"GET", "HEAD"} {
			resp := e.do(t, rawRequest{method: method, path: "/cond/k", header: hdr(tt.header...)})
			if resp.status != tt.status {
				t.Errorf("%s %s: status %d, want %d", method, tt.name, resp.status, tt.status)
			}
			switch {
			case tt.status == 412 && method == "GET":
				resp.wantError(t, 412, "PreconditionFailed")
			case tt.status == 304:
				if len(resp.body) != 0 || resp.header.Get("ETag") != etag {
					t.Errorf("%s %s: 304 with body %q, ETag %q", method, tt.name, resp.body, resp.header.Get("ETag"))
				}
			case tt.status == 200 && method == "GET" && string(resp.body) != "conditional":
				t.Errorf("%s %s: body %q", method, tt.name, resp.body)
			}
		}
	}
	_, err = e.sdk.GetObject(callCtx(t), &awss3.GetObjectInput{Bucket: aws.String("cond"), Key: aws.String("k"), IfNoneMatch: aws.String(etag)})
	wantCode(t, err, "NotModified")
}

func TestGetObjectResponseOverridesAndHeaders(t *testing.T) {
	e := newTestEnv(t)
	e.mkBucket(t, "ovr")
	e.putBytes(t, "ovr", "k", []byte("x"))
	q := "response-content-type=text%2Fcsv&response-content-language=de&response-expires=Thu%2C%2001%20Dec%201994%2016%3A00%3A00%20GMT" +
		"&response-cache-control=no-cache&response-content-disposition=inline&response-content-encoding=identity"
	resp := e.do(t, rawRequest{method: "GET", path: "/ovr/k?" + q})
	resp.wantStatus(t, http.StatusOK)
	want := map[string]string{
		"Content-Type": "text/csv", "Content-Language": "de", "Expires": "Thu, 01 Dec 1994 16:00:00 GMT",
		"Cache-Control": "no-cache", "Content-Disposition": "inline", "Content-Encoding": "identity",
		"Accept-Ranges": "bytes", "Content-Length": "1",
	}
	for k, v := range want {
		if got := resp.header.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	for _, k := range []string{"X-Amz-Request-Id", "X-Amz-Id-2", "Last-Modified", "ETag"} {
		if resp.header.Get(k) == "" {
			t.Errorf("response lacks %s", k)
		}
	}
	e.do(t, rawRequest{method: "PUT", path: "/ovr/untyped", body: []byte("x")}).wantStatus(t, http.StatusOK)
	plain := e.do(t, rawRequest{method: "GET", path: "/ovr/untyped"})
	if ct := plain.header.Get("Content-Type"); ct != "binary/octet-stream" {
		t.Errorf("default Content-Type %q", ct)
	}
	if plain.header.Get("X-Amz-Checksum-Crc32") != "" {
		t.Error("checksum sent without x-amz-checksum-mode: ENABLED")
	}
}

func TestPutObjectErrors(t *testing.T) {
	e := newTestEnv(t)
	e.mkBucket(t, "errs")
	longKey := strings.Repeat("k", 1025)
	bigMeta := hdr("X-Amz-Meta-Big", strings.Repeat("v", 2100))
	wrongMD5 := md5.Sum([]byte("other"))
	tests := []struct {
		name   string
		req    rawRequest
		status int
		code   string
	}{
		{"key too long", rawRequest{method: "PUT", path: "/errs/" + longKey, body: []byte("x")}, 400, "KeyTooLongError"},
		{"metadata too large", rawRequest{method: "PUT", path: "/errs/meta", body: []byte("x"), header: bigMeta}, 400, "MetadataTooLarge"},
		{"malformed md5", rawRequest{method: "PUT", path: "/errs/md5", body: []byte("x"), header: hdr("Content-Md5", "nope")}, 400, "InvalidDigest"},
		{"short md5", rawRequest{method: "PUT", path: "/errs/md5", body: []byte("x"), header: hdr("Content-Md5", "AAAA")}, 400, "InvalidDigest"},
		{"wrong md5", rawRequest{method: "PUT", path: "/errs/md5", body: []byte("x"),
			header: hdr("Content-Md5", base64.StdEncoding.EncodeToString(wrongMD5[:]))}, 400, "BadDigest"},
		{"no bucket", rawRequest{method: "PUT", path: "/nobucket/k", body: []byte("x")}, 404, "NoSuchBucket"},
		{"sse", rawRequest{method: "PUT", path: "/errs/sse", body: []byte("x"), header: hdr("X-Amz-Server-Side-Encryption", "AES256")}, 501, "NotImplemented"},
		{"public acl", rawRequest{method: "PUT", path: "/errs/acl", body: []byte("x"), header: hdr("X-Amz-Acl", "public-read")}, 501, "NotImplemented"},
		{"storage class", rawRequest{method: "PUT", path: "/errs/sc", body: []byte("x"), header: hdr("X-Amz-Storage-Class", "COLD")}, 400, "InvalidStorageClass"},
		{"if-none-match etag", rawRequest{method: "PUT", path: "/errs/inm", body: []byte("x"), header: hdr("If-None-Match", `"abc"`)}, 501, "NotImplemented"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.do(t, tt.req).wantError(t, tt.status, tt.code)
		})
	}
	for _, key := range []string{"meta", "md5", "sse", "acl", "sc", "inm"} {
		if _, ok := e.objectBytes(t, "errs", key); ok {
			t.Errorf("failed PUT of %s stored an object", key)
		}
	}
	e.do(t, rawRequest{method: "GET", path: "/errs/" + longKey}).wantError(t, 400, "KeyTooLongError")
	e.do(t, rawRequest{method: "GET", path: "/errs/missing"}).wantError(t, 404, "NoSuchKey")
}

func TestPutObjectLengthLimits(t *testing.T) {
	e := newTestEnv(t)
	e.mkBucket(t, "limits")
	// EntityTooLarge is decided from the declared length before any body
	// byte is read: declare 5 GiB + 1 and send nothing.
	c := e.dialRaw(t)
	c.send(t, e.signedHead(t, "PUT", "/limits/huge", testSecret, "Content-Length: "+strconv.FormatInt(5<<30+1, 10)))
	c.read(t).wantError(t, 400, "EntityTooLarge")
	c = e.dialRaw(t)
	c.send(t, e.signedHead(t, "PUT", "/limits/chunked", testSecret, "Transfer-Encoding: chunked"))
	c.read(t).wantError(t, http.StatusLengthRequired, "MissingContentLength")
	for _, key := range []string{"huge", "chunked"} {
		if _, ok := e.objectBytes(t, "limits", key); ok {
			t.Errorf("%s stored", key)
		}
	}
}

func TestPutObjectConditional(t *testing.T) {
	e := newTestEnv(t)
	e.mkBucket(t, "cput")
	ctx := callCtx(t)
	in := func(body string) *awss3.PutObjectInput {
		return &awss3.PutObjectInput{Bucket: aws.String("cput"), Key: aws.String("k"), Body: strings.NewReader(body)}
	}
	first := in("one")
	first.IfNoneMatch = aws.String("*")
	put, err := e.sdk.PutObject(ctx, first)
	if err != nil {
		t.Fatalf("If-None-Match: * on a new key: %v", err)
	}
	second := in("two")
	second.IfNoneMatch = aws.String("*")
	_, err = e.sdk.PutObject(ctx, second)
	wantCode(t, err, "PreconditionFailed")
	stale := in("three")
	stale.IfMatch = aws.String(`"00000000000000000000000000000000"`)
	_, err = e.sdk.PutObject(ctx, stale)
	wantCode(t, err, "PreconditionFailed")
	fresh := in("four")
	fresh.IfMatch = put.ETag
	if _, err := e.sdk.PutObject(ctx, fresh); err != nil {
		t.Fatalf("If-Match with the current ETag: %v", err)
	}
	if got, _ := e.objectBytes(t, "cput", "k"); string(got) != "four" {
		t.Fatalf("object = %q, want four", got)
	}
}

// onlyReader hides Seek, so the SDK must stream: aws-chunked with a
// trailing checksum.
type onlyReader struct{ r io.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }

func TestPutObjectStreamingTrailerChecksum(t *testing.T) {
	e := newTestEnv(t)
	e.mkBucket(t, "trail")
	// The SDK streams with trailers only over TLS.
	tlsSrv := httptest.NewTLSServer(e.s3srv)
	t.Cleanup(tlsSrv.Close)
	sdk := sdkClient(tlsSrv.URL, func(o *awss3.Options) { o.HTTPClient = tlsSrv.Client() })
	data := bytes.Repeat([]byte("trailing checksum "), 20000)
	put, err := sdk.PutObject(callCtx(t), &awss3.PutObjectInput{
		Bucket: aws.String("trail"), Key: aws.String("k"), Body: onlyReader{bytes.NewReader(data)},
		ContentLength: aws.Int64(int64(len(data)))})
	if err != nil {
		t.Fatalf("streaming PutObject: %v", err)
	}
	if aws.ToString(put.ChecksumCRC32) == "" {
		t.Fatal("no CRC32 in the PutObject response")
	}
	if got, _ := e.objectBytes(t, "trail", "k"); !bytes.Equal(got, data) {
		t.Fatalf("read back %d bytes, want %d", len(got), len(data))
	}
}
