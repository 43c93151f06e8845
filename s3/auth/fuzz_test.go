package auth

import (
	"bytes"
	"crypto/sha256"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"
)

func FuzzParseAuthorizationV4(f *testing.F) {
	f.Add(exampleAuth("host;range;x-amz-content-sha256;x-amz-date", chunkedExampleSigs[0]))
	f.Add("AWS4-HMAC-SHA256 Credential=a/20130524/r/s3/aws4_request, SignedHeaders=host, Signature=00")
	f.Add("AWS4-HMAC-SHA256 Credential=,,,=")
	f.Add("AWS4-HMAC-SHA256 ")
	f.Fuzz(func(t *testing.T, h string) {
		a, err := parseAuthorizationV4(h)
		if err != nil {
			return
		}
		if len(a.signature) != 32 || a.cred.accessKey == "" || len(a.signedHeaders) == 0 {
			t.Fatalf("accepted incomplete header %q: %+v", h, a)
		}
		// A parsed header must also survive a full verification attempt.
		r := httptest.NewRequest("GET", "/b/k", nil)
		r.Header.Set("Authorization", h)
		r.Header.Set("X-Amz-Date", "20130524T000000Z")
		r.Header.Set("X-Amz-Content-Sha256", emptySHA256)
		_, _ = newTestVerifier(t, exampleTime).Verify(r)
	})
}

func FuzzParseAuthorizationV2(f *testing.F) {
	f.Add("AWS AKIAIOSFODNN7EXAMPLE:bWq2s1WEIj+Ydj0vQ697zp+IXMU=")
	f.Add("AWS :")
	f.Add("AWS a:b:c")
	f.Fuzz(func(t *testing.T, h string) {
		ak, sig, err := parseAuthorizationV2(h)
		if err == nil && (ak == "" || sig == "") {
			t.Fatalf("accepted %q", h)
		}
		r := httptest.NewRequest("GET", "/photos/puppy.jpg?acl&versionId=1", nil)
		r.Host = "johnsmith.s3.amazonaws.com"
		r.Header.Set("Date", "Tue, 27 Mar 2007 19:36:42 +0000")
		r.Header.Set("Authorization", h)
		v := newTestVerifier(t, time.Date(2007, 3, 27, 19, 40, 0, 0, time.UTC), func(o *Options) { o.Domain = "s3.amazonaws.com" })
		_, _ = v.Verify(r)
	})
}

func FuzzChunkedDecoder(f *testing.F) {
	f.Add(unsignedChunked([]byte("hello world"), 4, "x-amz-checksum-crc32:DUoRhQ==\r\n"), true, int64(11))
	f.Add(chunkedExampleBody(chunkedExampleSigs, "\r\n")[:300], false, int64(-1))
	f.Add([]byte("0;chunk-signature=00\r\n\r\n"), false, int64(0))
	f.Add([]byte("3\r\nabc\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\nx-amz-trailer-signature:00\r\n\r\n"), true, int64(3))
	f.Fuzz(func(t *testing.T, body []byte, unsigned bool, declared int64) {
		if declared < -1 {
			declared = -1
		}
		var s *chunkSigner
		if !unsigned {
			s = &chunkSigner{key: []byte("k"), amzDate: "20130524T000000Z", scope: "x", prev: "seed"}
		}
		alg := checksumAlgs[0]
		c := newChunkReader(bytes.NewReader(body), s, true, alg, newChecksumState(alg), declared)
		var out bytes.Buffer
		buf := make([]byte, 13)
		for i := 0; ; i++ {
			if i > len(body)+10 {
				t.Fatalf("decoder did not finish on %d input bytes", len(body))
			}
			n, err := c.Read(buf)
			out.Write(buf[:n])
			if err != nil {
				break
			}
		}
		if out.Len() > len(body) {
			t.Fatalf("decoded %d bytes from %d", out.Len(), len(body))
		}
	})
}

// FuzzVerifyRequest feeds arbitrary method, target and headers to Verify.
func FuzzVerifyRequest(f *testing.F) {
	f.Add("GET", "/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=a%2F20130524%2Fr%2Fs3%2Faws4_request", "")
	f.Add("PUT", "/b/k?AWSAccessKeyId=a&Expires=1&Signature=x", "AWS a:b")
	f.Fuzz(func(t *testing.T, method, target, authz string) {
		r, err := http.NewRequest(method, "http://h"+target, nil)
		if err != nil {
			return
		}
		r.Header.Set("Authorization", authz)
		r.Header.Set("X-Amz-Date", "20130524T000000Z")
		_, _ = newTestVerifier(t, exampleTime).Verify(r)
	})
}

// signedChunked frames data as STREAMING-AWS4-HMAC-SHA256-PAYLOAD with
// signatures chained from s.
func signedChunked(data []byte, n int, s chunkSigner) []byte {
	var b bytes.Buffer
	write := func(chunk []byte) {
		sum := sha256Sum(chunk)
		s.next(sum, nil)
		b.WriteString(strconvHex(len(chunk)) + ";chunk-signature=" + s.prev + "\r\n")
		b.Write(chunk)
		b.WriteString("\r\n")
	}
	for len(data) > 0 {
		k := min(n, len(data))
		write(data[:k])
		data = data[k:]
	}
	write(nil)
	return b.Bytes()
}

func sha256Sum(b []byte) []byte { s := sha256.Sum256(b); return s[:] }

func strconvHex(n int) string { return strconv.FormatInt(int64(n), 16) }
