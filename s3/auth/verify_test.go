package auth

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// signed returns a request signed by aws-sdk-go-v2 at signTime after
// edit adjusted it.
func signed(t *testing.T, signTime time.Time, body string, edit func(*http.Request)) *http.Request {
	t.Helper()
	req := httptest.NewRequest("PUT", "http://127.0.0.1:9000/bucket/key", strings.NewReader(body))
	req.Header.Set("X-Amz-Content-Sha256", sha256Hex(body))
	if edit != nil {
		edit(req)
	}
	ph := req.Header.Get("X-Amz-Content-Sha256")
	if err := awsSigner().SignHTTP(t.Context(), awsCreds(exampleSecret), req, ph, "s3", "us-east-1", signTime); err != nil {
		t.Fatal(err)
	}
	return req
}

func TestVerifyErrors(t *testing.T) {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		req  func(t *testing.T) *http.Request
		want error
	}{
		{"valid", func(t *testing.T) *http.Request { return signed(t, now, "b", nil) }, nil},
		{"unsigned", func(t *testing.T) *http.Request { return httptest.NewRequest("GET", "/bucket/key", nil) }, ErrMissingAuth},
		{"skew +16m", func(t *testing.T) *http.Request { return signed(t, now.Add(16*time.Minute), "", nil) }, ErrRequestTimeTooSkewed},
		{"skew -16m", func(t *testing.T) *http.Request { return signed(t, now.Add(-16*time.Minute), "", nil) }, ErrRequestTimeTooSkewed},
		{"skew 14m ok", func(t *testing.T) *http.Request { return signed(t, now.Add(-14*time.Minute), "", nil) }, nil},
		{"missing date", func(t *testing.T) *http.Request {
			r := signed(t, now, "", nil)
			r.Header.Del("X-Amz-Date")
			return r
		}, ErrMissingDate},
		{"unparsable date", func(t *testing.T) *http.Request {
			r := signed(t, now, "", nil)
			r.Header.Set("X-Amz-Date", "yesterday")
			return r
		}, ErrMissingDate},
		{"scope date differs", func(t *testing.T) *http.Request {
			r := signed(t, now, "", nil)
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "/20250601/", "/20250602/", 1))
			return r
		}, ErrHeaderMalformed},
		{"bad scope service", func(t *testing.T) *http.Request {
			r := signed(t, now, "", nil)
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "/s3/", "/ec2/", 1))
			return r
		}, ErrHeaderMalformed},
		{"bad scope terminator", func(t *testing.T) *http.Request {
			r := signed(t, now, "", nil)
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "aws4_request", "aws5_request", 1))
			return r
		}, ErrHeaderMalformed},
		{"garbage authorization", func(t *testing.T) *http.Request {
			r := signed(t, now, "", nil)
			r.Header.Set("Authorization", "Bearer xyz")
			return r
		}, ErrHeaderMalformed},
		{"unknown access key", func(t *testing.T) *http.Request {
			r := signed(t, now, "", nil)
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), exampleAK, "AKIDUNKNOWN", 1))
			return r
		}, ErrInvalidAccessKeyID},
		{"missing content sha256", func(t *testing.T) *http.Request {
			return signed(t, now, "", func(r *http.Request) { r.Header.Del("X-Amz-Content-Sha256") })
		}, ErrMissingContentSHA256},
		{"bad content sha256", func(t *testing.T) *http.Request {
			return signed(t, now, "", func(r *http.Request) { r.Header.Set("X-Amz-Content-Sha256", "abc") })
		}, ErrContentSHA256Mismatch},
		{"ecdsa streaming", func(t *testing.T) *http.Request {
			return signed(t, now, "", func(r *http.Request) {
				r.Header.Set("X-Amz-Content-Sha256", "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD")
			})
		}, ErrUnsupported},
		{"unsigned x-amz header added", func(t *testing.T) *http.Request {
			r := signed(t, now, "", nil)
			r.Header.Set("X-Amz-Copy-Source", "/other/secret")
			return r
		}, ErrHeadersNotSigned},
		{"signed header changed", func(t *testing.T) *http.Request {
			r := signed(t, now, "", func(r *http.Request) { r.Header.Set("X-Amz-Meta-A", "1") })
			r.Header.Set("X-Amz-Meta-A", "2")
			return r
		}, ErrSignatureDoesNotMatch},
		{"host changed", func(t *testing.T) *http.Request {
			r := signed(t, now, "", nil)
			r.Host = "127.0.0.1:9001"
			return r
		}, ErrSignatureDoesNotMatch},
		{"query added", func(t *testing.T) *http.Request {
			r := signed(t, now, "", nil)
			r.URL.RawQuery = "acl="
			return r
		}, ErrSignatureDoesNotMatch},
	}
	v := newTestVerifier(t, now)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := v.Verify(tc.req(t))
			wantErr(t, "verify", err, tc.want)
		})
	}
}

func TestPresignQueryErrors(t *testing.T) {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	presigned := func(t *testing.T, expires string, edit func(string) string) *http.Request {
		t.Helper()
		req := httptest.NewRequest("GET", "http://127.0.0.1:9000/bucket/key?X-Amz-Expires="+expires, nil)
		uri, _, err := awsSigner().PresignHTTP(t.Context(), awsCreds(exampleSecret), req, unsignedPayload, "s3", "us-east-1", now)
		if err != nil {
			t.Fatal(err)
		}
		if edit != nil {
			uri = edit(uri)
		}
		return httptest.NewRequest("GET", uri, nil)
	}
	tests := []struct {
		name    string
		expires string
		edit    func(string) string
		at      time.Time
		want    error
	}{
		{"valid 7 days", "604800", nil, now.Add(6 * 24 * time.Hour), nil},
		{"over 7 days", "604801", nil, now, ErrQueryMalformed},
		{"zero expiry", "0", nil, now, ErrQueryMalformed},
		{"non-numeric expiry", "soon", nil, now, ErrQueryMalformed},
		{"expired", "60", nil, now.Add(61 * time.Second), ErrExpired},
		{"future", "60", nil, now.Add(-16 * time.Minute), ErrRequestTimeTooSkewed},
		{"unknown algorithm", "60", func(u string) string { return strings.Replace(u, "AWS4-HMAC-SHA256", "AWS4-HMAC-SHA1", 1) }, now, ErrQueryMalformed},
		{"bad credential", "60", func(u string) string { return strings.Replace(u, "%2Fs3%2F", "%2Fsqs%2F", 1) }, now, ErrQueryMalformed},
		{"unknown key", "60", func(u string) string { return strings.Replace(u, exampleAK, "NOPE", 1) }, now, ErrInvalidAccessKeyID},
		{"missing signature", "60", func(u string) string { return u[:strings.Index(u, "&X-Amz-Signature")] }, now, ErrQueryMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := newTestVerifier(t, tc.at).Verify(presigned(t, tc.expires, tc.edit))
			wantErr(t, "verify", err, tc.want)
		})
	}
}

// checksumOf returns the base64 value of alg over b.
func checksumOf(alg *checksumAlg, b []byte) string {
	h := alg.newHash()
	h.Write(b)
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

func TestHeaderChecksums(t *testing.T) {
	now := time.Now()
	v := newTestVerifier(t, now)
	body := strings.Repeat("checksum me ", 1000)
	for _, alg := range checksumAlgs {
		t.Run(alg.name, func(t *testing.T) {
			cases := []struct {
				name, value string
				verifyErr   error
				readErr     error
			}{
				{"good", checksumOf(alg, []byte(body)), nil, nil},
				{"wrong", checksumOf(alg, []byte("other")), nil, ErrChecksumMismatch},
				{"not base64", "!!!!", ErrInvalidChecksum, nil},
				{"wrong length", base64.StdEncoding.EncodeToString(make([]byte, alg.size+1)), ErrInvalidChecksum, nil},
			}
			for _, c := range cases {
				r := signed(t, now, body, func(r *http.Request) { r.Header.Set(alg.header, c.value) })
				res, err := v.Verify(r)
				wantErr(t, c.name+" verify", err, c.verifyErr)
				if err != nil {
					continue
				}
				got, err := readAll(t, res)
				wantErr(t, c.name+" read", err, c.readErr)
				if err == nil && (string(got) != body || res.ChecksumAlgorithm != alg.name || res.Checksum() != c.value) {
					t.Fatalf("%s: %d bytes, %s %q", c.name, len(got), res.ChecksumAlgorithm, res.Checksum())
				}
			}
		})
	}
	for _, tc := range []struct {
		name string
		hdr  []string
		want error
	}{
		{"unknown algorithm", []string{"X-Amz-Checksum-Md5", "AAAAAAAAAAAAAAAAAAAAAA=="}, ErrInvalidChecksum},
		{"two checksums", []string{"X-Amz-Checksum-Crc32", "AAAAAA==", "X-Amz-Checksum-Crc32c", "AAAAAA=="}, ErrInvalidChecksum},
		{"sdk algorithm only", []string{"X-Amz-Sdk-Checksum-Algorithm", "CRC32"}, nil},
		{"unknown sdk algorithm", []string{"X-Amz-Sdk-Checksum-Algorithm", "MD5"}, ErrInvalidChecksum},
		{"checksum mode is not a value", []string{"X-Amz-Checksum-Mode", "ENABLED"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := v.Verify(signed(t, now, body, func(r *http.Request) { setHeaders(r, tc.hdr...) }))
			wantErr(t, "verify", err, tc.want)
		})
	}
}

// unsignedChunked frames data in aws-chunked chunks of size n, followed by
// the trailer lines.
func unsignedChunked(data []byte, n int, trailer string) []byte {
	var b bytes.Buffer
	for len(data) > 0 {
		k := min(n, len(data))
		fmt.Fprintf(&b, "%x\r\n", k)
		b.Write(data[:k])
		b.WriteString("\r\n")
		data = data[k:]
	}
	b.WriteString("0\r\n" + trailer + "\r\n")
	return b.Bytes()
}

// unsignedTrailerRequest signs a STREAMING-UNSIGNED-PAYLOAD-TRAILER PUT.
func unsignedTrailerRequest(t *testing.T, now time.Time, body []byte, decoded, trailerName string) *http.Request {
	t.Helper()
	r := signed(t, now, "", func(r *http.Request) {
		r.Header.Set("X-Amz-Content-Sha256", streamingUnsignedTrailer)
		r.Header.Set("Content-Encoding", "aws-chunked")
		r.Header.Set("X-Amz-Decoded-Content-Length", decoded)
		if trailerName != "" {
			r.Header.Set("X-Amz-Trailer", trailerName)
		}
	})
	r.Body = readCloser{bytes.NewReader(body)}
	return r
}

type readCloser struct{ *bytes.Reader }

func (readCloser) Close() error { return nil }

func TestTrailerChecksums(t *testing.T) {
	now := time.Now()
	v := newTestVerifier(t, now)
	data := bytes.Repeat([]byte("trailer data "), 9000)
	for _, alg := range checksumAlgs {
		t.Run(alg.name, func(t *testing.T) {
			for _, c := range []struct {
				name, value string
				want        error
			}{
				{"good", checksumOf(alg, data), nil},
				{"wrong", checksumOf(alg, data[1:]), ErrChecksumMismatch},
				{"malformed", "%%%", ErrInvalidChecksum},
			} {
				body := unsignedChunked(data, 65536, alg.header+":"+c.value+"\r\n")
				res, err := v.Verify(unsignedTrailerRequest(t, now, body, fmt.Sprint(len(data)), alg.header))
				wantErr(t, "verify", err, nil)
				got, err := readAll(t, res)
				wantErr(t, c.name, err, c.want)
				wantExampleKey(t, res)
				if err == nil && (!bytes.Equal(got, data) || res.Checksum() != c.value || res.ChecksumAlgorithm != alg.name) {
					t.Fatalf("%s: %d bytes, %s %q", c.name, len(got), res.ChecksumAlgorithm, res.Checksum())
				}
			}
		})
	}
}

func TestChunkedFraming(t *testing.T) {
	now := time.Now()
	v := newTestVerifier(t, now)
	data := bytes.Repeat([]byte{'z'}, 100000)
	good := unsignedChunked(data, 65536, "")
	tests := []struct {
		name    string
		body    []byte
		decoded string
		want    error
	}{
		{"good", good, "100000", nil},
		{"unknown length", good, "", nil},
		{"truncated in data", good[:50000], "100000", ErrIncompleteBody},
		{"truncated before final chunk", good[:len(good)-5], "100000", ErrIncompleteBody},
		{"empty body", nil, "100000", ErrIncompleteBody},
		{"more than declared", good, "99999", ErrIncompleteBody},
		{"less than declared", good, "100001", ErrIncompleteBody},
		{"non-hex size", []byte("zz\r\nabc\r\n0\r\n\r\n"), "3", ErrMalformedChunk},
		{"oversized chunk", []byte("ffffffff\r\nabc"), "", ErrMalformedChunk},
		{"missing CRLF after data", []byte("3\r\nabcX\r\n0\r\n\r\n"), "3", ErrMalformedChunk},
		{"endless header line", bytes.Repeat([]byte{'1'}, 10000), "", ErrMalformedChunk},
		{"undeclared trailer", []byte("3\r\nabc\r\n0\r\nx-evil:1\r\n\r\n"), "3", ErrMalformedChunk},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := v.Verify(unsignedTrailerRequest(t, now, tc.body, tc.decoded, ""))
			wantErr(t, "verify", err, nil)
			got, err := readAll(t, res)
			wantErr(t, "read", err, tc.want)
			if err == nil && !bytes.Equal(got, data) {
				t.Fatalf("decoded %d bytes", len(got))
			}
		})
	}
}

func TestCheckedBody(t *testing.T) {
	now := time.Now()
	v := newTestVerifier(t, now)
	res, err := v.Verify(signed(t, now, "<xml/>", nil))
	wantErr(t, "verify", err, nil)
	_, err = CheckedBody(res, 3)
	wantErr(t, "over limit", err, ErrBodyTooLarge)
}

func TestKeyCacheBounded(t *testing.T) {
	c := newKeyCache(8)
	for i := range 100 {
		want := deriveKey("s", fmt.Sprint(20250000+i), "r", "s3")
		if got := c.get("s", fmt.Sprint(20250000+i), "r", "s3"); !bytes.Equal(got, want) {
			t.Fatalf("key %d differs", i)
		}
		if len(c.keys) > 8 {
			t.Fatalf("cache holds %d keys, bound 8", len(c.keys))
		}
	}
}
