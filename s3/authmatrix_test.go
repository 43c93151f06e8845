package s3_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/d3s/d3s/s3"
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
	*testEnv
	uploadID string // an upload of b/mp with part 1
	partETag string
}

func newAmFixture(t *testing.T) *amFixture {
	t.Helper()
	e := newTestEnvWith(t, s3.Options{})
	ctx := t.Context()
	e.seedBucket(t, "bkt")
	e.seedBucket(t, "empty")
	e.seedObject(t, "bkt", "obj", []byte("hello world"))
	e.seedObject(t, "bkt", "src", []byte("source data"))
	id, err := e.store.CreateMultipartUpload(ctx, e.user, "bkt", "mp", s3.PutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	part, err := e.store.UploadPart(ctx, e.user, "bkt", "mp", id, 1, strings.NewReader("part-one"), s3.PutOptions{Size: 8})
	if err != nil {
		t.Fatal(err)
	}
	return &amFixture{testEnv: e, uploadID: id, partETag: part.ETag}
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
	var doc errorDoc
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
