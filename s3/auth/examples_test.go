package auth

import (
	"bytes"
	"encoding/hex"
	"hash"
	"hash/crc64"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The requests and signatures below are AWS's published SigV4 examples
// for S3 (sig-v4-header-based-auth, sigv4-query-string-auth,
// sigv4-streaming, sigv4-streaming-trailers).

func exampleAuth(signed, sig string) string {
	return "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=" +
		signed + ",Signature=" + sig
}

func TestAWSHeaderExamples(t *testing.T) {
	tests := []struct {
		name, method, target, body, signed, sig string
		headers                                 []string
	}{
		{
			name: "GET object with range", method: "GET", target: "/test.txt",
			signed:  "host;range;x-amz-content-sha256;x-amz-date",
			sig:     "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
			headers: []string{"Range", "bytes=0-9", "X-Amz-Content-Sha256", emptySHA256},
		},
		{
			name: "PUT object", method: "PUT", target: "/test%24file.text", body: "Welcome to Amazon S3.",
			signed: "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class",
			sig:    "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd",
			headers: []string{"Date", "Fri, 24 May 2013 00:00:00 GMT", "X-Amz-Storage-Class", "REDUCED_REDUNDANCY",
				"X-Amz-Content-Sha256", "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"},
		},
		{
			name: "GET bucket lifecycle", method: "GET", target: "/?lifecycle",
			signed:  "host;x-amz-content-sha256;x-amz-date",
			sig:     "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543",
			headers: []string{"X-Amz-Content-Sha256", emptySHA256},
		},
		{
			name: "GET list objects", method: "GET", target: "/?max-keys=2&prefix=J",
			signed:  "host;x-amz-content-sha256;x-amz-date",
			sig:     "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7",
			headers: []string{"X-Amz-Content-Sha256", emptySHA256},
		},
	}
	v := newTestVerifier(t, exampleTime.Add(time.Minute))
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(tc.method, tc.target, strings.NewReader(tc.body))
			r.Host = "examplebucket.s3.amazonaws.com"
			setHeaders(r, tc.headers...)
			setHeaders(r, "X-Amz-Date", "20130524T000000Z", "Authorization", exampleAuth(tc.signed, tc.sig))
			res, err := v.Verify(r)
			wantErr(t, "verify", err, nil)
			wantExampleKey(t, res)
			got, err := CheckedBody(res, 1<<20)
			wantErr(t, "body", err, nil)
			if string(got) != tc.body {
				t.Fatalf("body %q, want %q", got, tc.body)
			}
			// One changed signature byte must fail.
			bad := []byte(tc.sig)
			bad[10] ^= 1
			r.Header.Set("Authorization", exampleAuth(tc.signed, string(bad)))
			_, err = v.Verify(r)
			wantErr(t, "tampered", err, ErrSignatureDoesNotMatch)
		})
	}
}

func TestAWSPresignedExample(t *testing.T) {
	const target = "/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature="
	const sig = "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
	tests := []struct {
		name string
		now  time.Time
		sig  string
		want error
	}{
		{"valid", exampleTime.Add(time.Hour), sig, nil},
		{"expired", exampleTime.Add(24*time.Hour + time.Second), sig, ErrExpired},
		{"from the future", exampleTime.Add(-16 * time.Minute), sig, ErrRequestTimeTooSkewed},
		{"tampered", exampleTime.Add(time.Hour), strings.Replace(sig, "a", "b", 1), ErrSignatureDoesNotMatch},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", target+tc.sig, nil)
			r.Host = "examplebucket.s3.amazonaws.com"
			res, err := newTestVerifier(t, tc.now).Verify(r)
			wantErr(t, "verify", err, tc.want)
			if err == nil && res.ContentSHA256 != nil {
				t.Fatalf("result %+v", res)
			}
			if err == nil {
				wantExampleKey(t, res)
			}
		})
	}
}

// chunkedExampleBody frames 64 KiB + 1 KiB of 'a' with the given chunk
// signatures and appends tail.
func chunkedExampleBody(sigs []string, tail string) []byte {
	var b bytes.Buffer
	for i, n := range []int{65536, 1024, 0} {
		b.WriteString(strconv.FormatInt(int64(n), 16))
		if sigs != nil {
			b.WriteString(";chunk-signature=" + sigs[i])
		}
		b.WriteString("\r\n")
		b.Write(bytes.Repeat([]byte{'a'}, n))
		if n > 0 {
			b.WriteString("\r\n")
		}
	}
	b.WriteString(tail)
	return b.Bytes()
}

var chunkedExampleSigs = []string{
	"ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
	"0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
	"b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
}

func chunkedExampleRequest(body []byte) *http.Request {
	r := httptest.NewRequest("PUT", "/examplebucket/chunkObject.txt", bytes.NewReader(body))
	r.Host = "s3.amazonaws.com"
	r.ContentLength = 66824
	setHeaders(r, "X-Amz-Date", "20130524T000000Z", "X-Amz-Storage-Class", "REDUCED_REDUNDANCY",
		"X-Amz-Content-Sha256", streamingSigned, "Content-Encoding", "aws-chunked",
		"X-Amz-Decoded-Content-Length", "66560",
		"Authorization", exampleAuth("content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class",
			"4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"))
	return r
}

func TestAWSChunkedExample(t *testing.T) {
	body := chunkedExampleBody(chunkedExampleSigs, "\r\n")
	if len(body) != 66824 {
		t.Fatalf("example body is %d bytes, AWS says 66824", len(body))
	}
	v := newTestVerifier(t, exampleTime)
	res, err := v.Verify(chunkedExampleRequest(body))
	wantErr(t, "verify", err, nil)
	wantExampleKey(t, res)
	got, err := readAll(t, res)
	wantErr(t, "read", err, nil)
	if !bytes.Equal(got, bytes.Repeat([]byte{'a'}, 66560)) || res.DecodedLength != 66560 {
		t.Fatalf("decoded %d bytes, DecodedLength %d", len(got), res.DecodedLength)
	}
	for i := range chunkedExampleSigs {
		sigs := append([]string(nil), chunkedExampleSigs...)
		b := []byte(sigs[i])
		b[5] ^= 1
		sigs[i] = string(b)
		res, err := v.Verify(chunkedExampleRequest(chunkedExampleBody(sigs, "\r\n")))
		wantErr(t, "verify", err, nil)
		_, err = readAll(t, res)
		wantErr(t, "chunk "+strconv.Itoa(i), err, ErrSignatureDoesNotMatch)
	}
	flipped := chunkedExampleBody(chunkedExampleSigs, "\r\n")
	flipped[40000] = 'b'
	res, err = v.Verify(chunkedExampleRequest(flipped))
	wantErr(t, "verify", err, nil)
	_, err = readAll(t, res)
	wantErr(t, "flipped data byte", err, ErrSignatureDoesNotMatch)
}

func TestAWSTrailerExample(t *testing.T) {
	sigs := []string{
		"b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2",
		"1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7",
		"2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992",
	}
	const trailerSig = "d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435"
	request := func(crc string) *http.Request {
		body := chunkedExampleBody(sigs, "x-amz-checksum-crc32c:"+crc+"\r\nx-amz-trailer-signature:"+trailerSig+"\r\n\r\n")
		r := httptest.NewRequest("PUT", "/examplebucket/chunkObject.txt", bytes.NewReader(body))
		r.Host = "s3.amazonaws.com"
		setHeaders(r, "X-Amz-Date", "20130524T000000Z", "X-Amz-Storage-Class", "REDUCED_REDUNDANCY",
			"X-Amz-Content-Sha256", streamingSignedTrailer, "Content-Encoding", "aws-chunked",
			"X-Amz-Decoded-Content-Length", "66560", "X-Amz-Trailer", "x-amz-checksum-crc32c",
			"Authorization", exampleAuth("content-encoding;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class;x-amz-trailer",
				"106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e"))
		return r
	}
	v := newTestVerifier(t, exampleTime)
	res, err := v.Verify(request("sOO8/Q=="))
	wantErr(t, "verify", err, nil)
	wantExampleKey(t, res)
	got, err := readAll(t, res)
	wantErr(t, "read", err, nil)
	if len(got) != 66560 || res.ChecksumAlgorithm != "CRC32C" || res.Checksum() != "sOO8/Q==" {
		t.Fatalf("got %d bytes, %s %q", len(got), res.ChecksumAlgorithm, res.Checksum())
	}
	// A different trailer value breaks the trailer signature.
	res, err = v.Verify(request("AAAAAA=="))
	wantErr(t, "verify", err, nil)
	_, err = readAll(t, res)
	wantErr(t, "tampered trailer", err, ErrSignatureDoesNotMatch)
}

// TestAWSSigV2Example is RESTAuthentication's GET example; its published
// signature was computed for the bucket "johnsmith" (the page later renamed
// the bucket without recomputing it).
func TestAWSSigV2Example(t *testing.T) {
	r := httptest.NewRequest("GET", "/photos/puppy.jpg", nil)
	r.Host = "johnsmith.s3.amazonaws.com"
	setHeaders(r, "Date", "Tue, 27 Mar 2007 19:36:42 +0000",
		"Authorization", "AWS AKIAIOSFODNN7EXAMPLE:bWq2s1WEIj+Ydj0vQ697zp+IXMU=")
	now := time.Date(2007, 3, 27, 19, 40, 0, 0, time.UTC)
	v := newTestVerifier(t, now, func(o *Options) { o.Domain = "s3.amazonaws.com" })
	res, err := v.Verify(r)
	wantErr(t, "verify", err, nil)
	wantExampleKey(t, res)
	r.Header.Set("Authorization", "AWS AKIAIOSFODNN7EXAMPLE:bWq2s1WEIj+Ydj0vQ697zp+IXMV=")
	_, err = v.Verify(r)
	wantErr(t, "tampered", err, ErrSignatureDoesNotMatch)
	r.Header.Set("Authorization", "AWS AKIAIOSFODNN7EXAMPLE:bWq2s1WEIj+Ydj0vQ697zp+IXMU=")
	_, err = newTestVerifier(t, now.Add(time.Hour), func(o *Options) { o.Domain = "s3.amazonaws.com" }).Verify(r)
	wantErr(t, "an hour later", err, ErrRequestTimeTooSkewed)
}

func TestCRC64NVMECheckValue(t *testing.T) {
	h := checksumByName("CRC64NVME").newHash()
	h.Write([]byte("123456789"))
	if got := hex.EncodeToString(h.Sum(nil)); got != "ae8b14860a799888" {
		t.Fatalf("CRC64NVME(123456789) = %s, want ae8b14860a799888", got)
	}
}

func TestCRC64NVMEMatchesStdlib(t *testing.T) {
	data := make([]byte, 5000)
	for i := range data {
		data[i] = byte(i*7 + i>>3)
	}
	for _, n := range []int{0, 1, 7, 8, 9, 63, 64, 2047, 2048, 4999, 5000} {
		for _, split := range []int{0, 1, 3, n / 2} {
			split = min(split, n)
			h := newCRC64NVME().(hash.Hash64)
			h.Write(data[:split])
			h.Write(data[split:n])
			if want := crc64.Checksum(data[:n], crc64NVMETable); h.Sum64() != want {
				t.Fatalf("n=%d split=%d: %x, want %x", n, split, h.Sum64(), want)
			}
		}
	}
}
