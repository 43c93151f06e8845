package s3_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/minio/minio-go/v7/pkg/signer"
)

// amKey is the key pair a request is signed with.
type amKey struct{ id, secret string }

var (
	amGood       = amKey{testAccessKey, testSecret}
	amBadSecret  = amKey{testAccessKey, amWrongKey}
	amUnknownKID = amKey{amUnknownKey, testSecret}
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
	if err := s3Signer().SignHTTP(t.Context(), creds, r, payload, "s3", testRegion, time.Now()); err != nil {
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
	u, hdr, err := s.PresignHTTP(t.Context(), creds, r, "UNSIGNED-PAYLOAD", "s3", testRegion, time.Now())
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
	return signer.StreamingSignV4(r, k.id, k.secret, "", testRegion, int64(len(body)), time.Now().UTC(), amSHA256{sha256.New()})
}

// amSHA256 is the hasher minio-go's streaming signer wants.
type amSHA256 struct{ hash.Hash }

func (amSHA256) Close() {}

func signV4Trailer(t *testing.T, r *http.Request, body []byte, k amKey) *http.Request {
	r.Header.Set("X-Amz-Content-Sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER")
	var sum [4]byte
	binary.BigEndian.PutUint32(sum[:], crc32.ChecksumIEEE(body))
	trailer := http.Header{"X-Amz-Checksum-Crc32": {base64.StdEncoding.EncodeToString(sum[:])}}
	return signer.SignV4Trailer(*r, k.id, k.secret, "", testRegion, trailer)
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
