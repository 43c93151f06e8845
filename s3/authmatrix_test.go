package s3_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/xml"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/minio/minio-go/v7/pkg/signer"

	"github.com/d3s/d3s/s3"
	"github.com/d3s/d3s/s3/s3test"
)

// The auth matrix runs every operation the router serves under every way a
// request can be signed, with a wrong secret and with an unknown access key,
// and checks that each is refused with the right code before anything in
// the store changes; then the correctly signed request must succeed, so the
// refusals prove a real check.

const (
	amUnknownKey = "AKIAUNKNOWNUSER00000"
	amWrongKey   = "wrongSecret0123456789abcdefghijklmnopqrs"
)

// amFixture is the store state every matrix case starts from.
type amFixture struct {
	url      string
	store    *s3test.MemStore
	user     s3.User
	uploadID string // an upload of b/mp with part 1
	partETag string
}

func newAmFixture(t *testing.T) *amFixture {
	t.Helper()
	store := s3test.NewMemStore()
	creds := &s3test.MemCredentials{}
	user := creds.Add(lsAccessKey, lsSecret, "matrix")
	srv := httptest.NewServer(s3.NewServer(store, creds, s3.Options{}))
	t.Cleanup(srv.Close)
	ctx := t.Context()
	for _, b := range []string{"bkt", "empty"} {
		if err := store.CreateBucket(ctx, user, b); err != nil {
			t.Fatal(err)
		}
	}
	for k, v := range map[string]string{"obj": "hello world", "src": "source data"} {
		if _, err := store.PutObject(ctx, user, "bkt", k, strings.NewReader(v), s3.PutOptions{Size: int64(len(v))}); err != nil {
			t.Fatal(err)
		}
	}
	id, err := store.CreateMultipartUpload(ctx, user, "bkt", "mp", s3.PutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	part, err := store.UploadPart(ctx, user, "bkt", "mp", id, 1, strings.NewReader("part-one"), s3.PutOptions{Size: 8})
	if err != nil {
		t.Fatal(err)
	}
	return &amFixture{url: srv.URL, store: store, user: user, uploadID: id, partETag: part.ETag}
}

// snapshot renders everything the store holds for the user.
func (f *amFixture) snapshot(t *testing.T) string {
	t.Helper()
	ctx := t.Context()
	var b strings.Builder
	buckets, err := f.store.ListBuckets(ctx, f.user)
	if err != nil {
		t.Fatal(err)
	}
	for _, bk := range buckets {
		fmt.Fprintf(&b, "bucket %s\n", bk.Name)
		objs, err := f.store.ListObjects(ctx, f.user, bk.Name, s3.ListOptions{MaxKeys: 1000})
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range objs.Objects {
			fmt.Fprintf(&b, "  object %s %s %d\n", o.Key, o.ETag, o.Size)
		}
		ups, err := f.store.ListMultipartUploads(ctx, f.user, bk.Name, s3.ListUploadsOptions{MaxUploads: 1000})
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range ups.Uploads {
			parts, err := f.store.ListParts(ctx, f.user, bk.Name, u.Key, u.UploadID, s3.ListPartsOptions{MaxParts: 1000})
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&b, "  upload %s %s %d parts\n", u.Key, u.UploadID, len(parts.Parts))
			for _, p := range parts.Parts {
				fmt.Fprintf(&b, "    part %d %s\n", p.Number, p.ETag)
			}
		}
	}
	return b.String()
}

// amOp is one S3 operation as a raw request.
type amOp struct {
	name   string
	method string
	target func(f *amFixture) string // path and query
	header func(f *amFixture) http.Header
	body   func(f *amFixture) []byte
	// readsBody marks operations whose handler consumes the payload, so a
	// corrupted chunk signature must fail them.
	readsBody bool
}

func amOps() []amOp {
	path := func(p string) func(*amFixture) string { return func(*amFixture) string { return p } }
	upload := func(p string) func(*amFixture) string {
		return func(f *amFixture) string { return strings.ReplaceAll(p, "ID", f.uploadID) }
	}
	copySrc := func(*amFixture) http.Header { return http.Header{"X-Amz-Copy-Source": {"/bkt/src"}} }
	data := func(s string) func(*amFixture) []byte { return func(*amFixture) []byte { return []byte(s) } }
	return []amOp{
		{name: "ListBuckets", method: "GET", target: path("/")},
		{name: "CreateBucket", method: "PUT", target: path("/newbucket")},
		{name: "HeadBucket", method: "HEAD", target: path("/bkt")},
		{name: "DeleteBucket", method: "DELETE", target: path("/empty")},
		{name: "ListObjects", method: "GET", target: path("/bkt")},
		{name: "ListObjectsV2", method: "GET", target: path("/bkt?list-type=2&prefix=o")},
		{name: "GetBucketLocation", method: "GET", target: path("/bkt?location")},
		{name: "GetBucketVersioning", method: "GET", target: path("/bkt?versioning")},
		{name: "GetBucketAcl", method: "GET", target: path("/bkt?acl")},
		{name: "ListMultipartUploads", method: "GET", target: path("/bkt?uploads")},
		{name: "DeleteObjects", method: "POST", target: path("/bkt?delete"), readsBody: true,
			body: data(`<Delete><Object><Key>obj</Key></Object><Object><Key>src</Key></Object></Delete>`)},
		{name: "PutObject", method: "PUT", target: path("/bkt/new"), body: data("new object bytes"), readsBody: true},
		{name: "PutObjectOverwrite", method: "PUT", target: path("/bkt/obj"), body: data("replaced"), readsBody: true},
		{name: "GetObject", method: "GET", target: path("/bkt/obj")},
		{name: "HeadObject", method: "HEAD", target: path("/bkt/obj")},
		{name: "DeleteObject", method: "DELETE", target: path("/bkt/obj")},
		{name: "CopyObject", method: "PUT", target: path("/bkt/copy"), header: copySrc},
		{name: "GetObjectAcl", method: "GET", target: path("/bkt/obj?acl")},
		{name: "CreateMultipartUpload", method: "POST", target: path("/bkt/new?uploads")},
		{name: "UploadPart", method: "PUT", target: upload("/bkt/mp?partNumber=2&uploadId=ID"), body: data("part-two"), readsBody: true},
		{name: "UploadPartCopy", method: "PUT", target: upload("/bkt/mp?partNumber=2&uploadId=ID"), header: copySrc},
		{name: "CompleteMultipartUpload", method: "POST", target: upload("/bkt/mp?uploadId=ID"), readsBody: true,
			body: func(f *amFixture) []byte {
				return fmt.Appendf(nil, `<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>"%s"</ETag></Part></CompleteMultipartUpload>`, f.partETag)
			}},
		{name: "AbortMultipartUpload", method: "DELETE", target: upload("/bkt/mp?uploadId=ID")},
		{name: "ListParts", method: "GET", target: upload("/bkt/mp?uploadId=ID")},
	}
}

// amKey is the key pair a request is signed with.
type amKey struct{ id, secret string }

var (
	amGood       = amKey{lsAccessKey, lsSecret}
	amBadSecret  = amKey{lsAccessKey, amWrongKey}
	amUnknownKID = amKey{amUnknownKey, lsSecret}
)

// amForm signs (or, for anonymous, does not sign) a request built from
// method, url, header and body with key k.
type amForm struct {
	name string
	sign func(t *testing.T, r *http.Request, body []byte, k amKey) *http.Request
	// signed is false for the anonymous form, which has no key to get wrong.
	signed bool
	// streaming forms frame the body as aws-chunked.
	streaming bool
}

func amForms() []amForm {
	return []amForm{
		{name: "SigV4Header", signed: true, sign: signV4Header},
		{name: "SigV4Query", signed: true, sign: signV4Query},
		{name: "SigV4Streaming", signed: true, streaming: true, sign: signV4Streaming},
		{name: "SigV4UnsignedTrailer", signed: true, streaming: true, sign: signV4Trailer},
		{name: "SigV2Header", signed: true, sign: func(t *testing.T, r *http.Request, _ []byte, k amKey) *http.Request {
			return signer.SignV2(*r, k.id, k.secret, false)
		}},
		{name: "SigV2Query", signed: true, sign: func(t *testing.T, r *http.Request, _ []byte, k amKey) *http.Request {
			return signer.PreSignV2(*r, k.id, k.secret, 900, false)
		}},
		{name: "Anonymous", sign: func(t *testing.T, r *http.Request, _ []byte, _ amKey) *http.Request { return r }},
	}
}

func signV4Header(t *testing.T, r *http.Request, body []byte, k amKey) *http.Request {
	payload := fmt.Sprintf("%x", sha256Sum(body))
	r.Header.Set("X-Amz-Content-Sha256", payload)
	creds := aws.Credentials{AccessKeyID: k.id, SecretAccessKey: k.secret}
	if err := v4.NewSigner().SignHTTP(t.Context(), creds, r, payload, "s3", lsRegion, time.Now()); err != nil {
		t.Fatal(err)
	}
	return r
}

func signV4Query(t *testing.T, r *http.Request, body []byte, k amKey) *http.Request {
	q := r.URL.Query()
	q.Set("X-Amz-Expires", "900")
	r.URL.RawQuery = q.Encode()
	creds := aws.Credentials{AccessKeyID: k.id, SecretAccessKey: k.secret}
	s := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableHeaderHoisting = true })
	u, hdr, err := s.PresignHTTP(t.Context(), creds, r, "UNSIGNED-PAYLOAD", "s3", lsRegion, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	out, err := http.NewRequestWithContext(r.Context(), r.Method, u, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for name, v := range hdr {
		if !strings.EqualFold(name, "Host") {
			out.Header[name] = v
		}
	}
	return out
}

func signV4Streaming(t *testing.T, r *http.Request, body []byte, k amKey) *http.Request {
	return signer.StreamingSignV4(r, k.id, k.secret, "", lsRegion, int64(len(body)), time.Now().UTC(), amSHA256{sha256.New()})
}

// amSHA256 is the hasher minio-go's streaming signer wants.
type amSHA256 struct{ hash.Hash }

func (amSHA256) Close() {}

func signV4Trailer(t *testing.T, r *http.Request, body []byte, k amKey) *http.Request {
	r.Header.Set("X-Amz-Content-Sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER")
	var sum [4]byte
	binary.BigEndian.PutUint32(sum[:], crc32.ChecksumIEEE(body))
	trailer := http.Header{"X-Amz-Checksum-Crc32": {base64.StdEncoding.EncodeToString(sum[:])}}
	return signer.SignV4Trailer(*r, k.id, k.secret, "", lsRegion, trailer)
}

// corruptSignature changes one character of r's signature, wherever the
// signing form put it, keeping it well-formed.
func corruptSignature(t *testing.T, r *http.Request) {
	t.Helper()
	flip := func(s string, i int) string {
		c := byte('a')
		if s[i] == 'a' {
			c = 'b'
		}
		return s[:i] + string(c) + s[i+1:]
	}
	if a := r.Header.Get("Authorization"); a != "" {
		i := strings.Index(a, "Signature=") + len("Signature=")
		if strings.HasPrefix(a, "AWS ") {
			i = strings.LastIndex(a, ":") + 1
		}
		r.Header.Set("Authorization", flip(a, i))
		return
	}
	q := r.URL.Query()
	for _, name := range []string{"X-Amz-Signature", "Signature"} {
		if v := q.Get(name); v != "" {
			q.Set(name, flip(v, 0))
			r.URL.RawQuery = q.Encode()
			return
		}
	}
	t.Fatal("request carries no signature to tamper with")
}

// corruptChunkSignature rewrites a streaming body so that its first chunk
// signature is wrong while the seed signature stays valid.
func corruptChunkSignature(t *testing.T, r *http.Request) *http.Request {
	t.Helper()
	framed, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(framed, []byte("chunk-signature="))
	if i < 0 {
		t.Fatalf("no chunk signature in %q", framed)
	}
	j := i + len("chunk-signature=")
	if framed[j] == '0' {
		framed[j] = '1'
	} else {
		framed[j] = '0'
	}
	r.Body = io.NopCloser(bytes.NewReader(framed))
	return r
}

// amResult is a response reduced to what the matrix checks.
type amResult struct {
	status int
	code   string
	body   string
}

func (f *amFixture) send(t *testing.T, op amOp, form amForm, v amVariant) amResult {
	t.Helper()
	var body []byte
	if op.body != nil {
		body = op.body(f)
	}
	r, err := http.NewRequestWithContext(t.Context(), op.method, f.url+op.target(f), bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if op.header != nil {
		for name, v := range op.header(f) {
			r.Header[name] = v
		}
	}
	r = form.sign(t, r, body, v.key)
	if v.tamper {
		corruptSignature(t, r)
	}
	if v.corruptChunk {
		r = corruptChunkSignature(t, r)
	}
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var doc lsErrorBody
	if xml.Unmarshal(raw, &doc) == nil {
		return amResult{status: resp.StatusCode, code: doc.Code, body: string(raw)}
	}
	return amResult{status: resp.StatusCode, body: string(raw)}
}

func sha256Sum(b []byte) []byte {
	sum := sha256.Sum256(b)
	return sum[:]
}

func TestAuthMatrix(t *testing.T) {
	for _, op := range amOps() {
		for _, form := range amForms() {
			t.Run(op.name+"/"+form.name, func(t *testing.T) {
				f := newAmFixture(t)
				before := f.snapshot(t)
				for _, bad := range amBadVariants(op, form) {
					got := f.send(t, op, form, bad)
					if got.status != http.StatusForbidden || (op.method != "HEAD" && got.code != bad.code) {
						t.Errorf("%s: got %d %s, want 403 %s\n%s", bad.name, got.status, got.code, bad.code, got.body)
					}
					if after := f.snapshot(t); after != before {
						t.Fatalf("%s changed the store:\nbefore:\n%s\nafter:\n%s", bad.name, before, after)
					}
				}
				if form.signed {
					got := f.send(t, op, form, amVariant{key: amGood})
					if got.status < 200 || got.status > 299 {
						t.Errorf("correctly signed: got %d %s\n%s", got.status, got.code, got.body)
					}
				}
			})
		}
	}
}

// amVariant is one way to get a request wrong.
type amVariant struct {
	name         string
	key          amKey
	tamper       bool // sign with key, then change the signature
	corruptChunk bool
	code         string
}

func amBadVariants(op amOp, form amForm) []amVariant {
	if !form.signed {
		return []amVariant{{name: "anonymous", code: "AccessDenied"}}
	}
	vs := []amVariant{
		{name: "wrong secret", key: amBadSecret, code: "SignatureDoesNotMatch"},
		{name: "unknown access key", key: amUnknownKID, code: "InvalidAccessKeyId"},
		{name: "tampered signature", key: amGood, tamper: true, code: "SignatureDoesNotMatch"},
	}
	if form.name == "SigV4Streaming" && op.readsBody {
		vs = append(vs, amVariant{name: "corrupt chunk signature", key: amGood, corruptChunk: true, code: "SignatureDoesNotMatch"})
	}
	return slices.Clip(vs)
}
