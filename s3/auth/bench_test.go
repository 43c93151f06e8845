package auth

import (
	"bytes"
	"io"
	"net/http"
	"testing"
	"time"
)

func BenchmarkVerifySigV4Get(b *testing.B) {
	now := time.Now().UTC()
	req, _ := http.NewRequest("GET", "http://127.0.0.1:9000/bucket/some/object/key.txt?versionId=abc", nil)
	req.Header.Set("X-Amz-Content-Sha256", emptySHA256)
	req.Header.Set("User-Agent", "aws-sdk-go-v2/1.0")
	req.Header.Set("Range", "bytes=0-1023")
	if err := awsSigner().SignHTTP(b.Context(), awsCreds(exampleSecret), req, emptySHA256, "s3", "us-east-1", now); err != nil {
		b.Fatal(err)
	}
	v := New(fakeCreds{exampleAK: exampleSecret}, Options{Now: func() time.Time { return now }})
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := v.Verify(req); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func benchChunked(b *testing.B, alg *checksumAlg, body []byte, size int) {
	buf := make([]byte, 32<<10)
	b.SetBytes(int64(size))
	b.ReportAllocs()
	for b.Loop() {
		var sum *checksumState
		if alg != nil {
			sum = newChecksumState(alg)
		}
		c := newChunkReader(bytes.NewReader(body), nil, true, alg, sum, int64(size))
		if _, err := io.CopyBuffer(io.Discard, struct{ io.Reader }{c}, buf); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkChunkedDecoder(b *testing.B) {
	const size = 64 << 20
	data := bytes.Repeat([]byte("0123456789abcdef"), size/16)
	b.Run("unsigned-no-checksum", func(b *testing.B) {
		benchChunked(b, nil, unsignedChunked(data, 64<<10, ""), size)
	})
	for _, name := range []string{"CRC32C", "CRC64NVME", "CRC32"} {
		alg := checksumByName(name)
		body := unsignedChunked(data, 64<<10, alg.header+":"+checksumOf(alg, data)+"\r\n")
		b.Run("unsigned-trailer-"+name, func(b *testing.B) { benchChunked(b, alg, body, size) })
	}
	b.Run("signed", func(b *testing.B) {
		s := &chunkSigner{key: deriveKey(exampleSecret, "20130524", "us-east-1", "s3"), amzDate: "20130524T000000Z", scope: "20130524/us-east-1/s3/aws4_request", prev: "seed"}
		body := signedChunked(data, 64<<10, *s)
		buf := make([]byte, 32<<10)
		b.SetBytes(size)
		for b.Loop() {
			signer := *s
			c := newChunkReader(bytes.NewReader(body), &signer, false, nil, nil, size)
			if _, err := io.CopyBuffer(io.Discard, struct{ io.Reader }{c}, buf); err != nil {
				b.Fatal(err)
			}
		}
	})
}
