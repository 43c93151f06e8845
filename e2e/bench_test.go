package e2e

import (
	"bytes"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"fmt"
	"hash"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go/middleware"
)

// The benchmarks below are the figures in BENCHMARKS.md. Run them with
//
//	CGO_ENABLED=0 go test ./e2e -run '^$' -bench . -benchtime 5x -count 5
//
// BenchmarkLimits measures this machine's physical limits in the same run,
// so the S3 figures can be read against them.

func BenchmarkLimits(b *testing.B) {
	buf := make([]byte, 4<<20)
	for _, h := range []struct {
		name string
		new  func() hash.Hash
	}{{"MD5", md5.New}, {"SHA1", sha1.New}, {"SHA256", sha256.New}} {
		b.Run(h.name, func(b *testing.B) {
			b.SetBytes(int64(len(buf)))
			hh := h.new()
			for b.Loop() {
				hh.Write(buf)
			}
		})
	}
	b.Run("WriteFsync256MiB", func(b *testing.B) {
		dir := b.TempDir()
		b.SetBytes(256 << 20)
		for b.Loop() {
			f, err := os.Create(filepath.Join(dir, "f"))
			if err != nil {
				b.Fatal(err)
			}
			for range 64 {
				f.Write(buf)
			}
			f.Sync()
			f.Close()
		}
	})
	b.Run("LoopbackTCP", func(b *testing.B) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		defer ln.Close()
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				go func() { io.Copy(io.Discard, c); c.Close() }()
			}
		}()
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		b.SetBytes(int64(len(buf)))
		for b.Loop() {
			c.Write(buf)
		}
	})
}

// benchClient is an SDK client tuned the way a throughput-minded user would
// run it against a trusted endpoint: no client-side payload hashing
// (UNSIGNED-PAYLOAD) and checksums only when required, so the client does not
// steal the server's two cores.
func benchClient(b *testing.B, n *testNode) *s3.Client {
	return s3.New(s3.Options{
		Region:                     "us-east-1",
		BaseEndpoint:               aws.String(n.endpoint),
		UsePathStyle:               true,
		Credentials:                credentials.NewStaticCredentialsProvider(n.access, n.secret, ""),
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
		APIOptions:                 []func(*middleware.Stack) error{v4.SwapComputePayloadSHA256ForUnsignedPayloadMiddleware},
	})
}

func benchNode(b *testing.B) *testNode { return startNodeIn(b, b.TempDir()) }

func BenchmarkPut256MiB(b *testing.B) {
	n := benchNode(b)
	c := benchClient(b, n)
	c.CreateBucket(b.Context(), &s3.CreateBucketInput{Bucket: aws.String("bench")})
	body := bytes.Repeat([]byte("0123456789abcdef"), 16<<20)
	b.SetBytes(int64(len(body)))
	i := 0
	for b.Loop() {
		i++
		_, err := c.PutObject(b.Context(), &s3.PutObjectInput{
			Bucket: aws.String("bench"), Key: aws.String(fmt.Sprint("big", i%2)),
			Body: bytes.NewReader(body), ContentLength: aws.Int64(int64(len(body))),
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGet256MiB(b *testing.B) {
	n := benchNode(b)
	c := benchClient(b, n)
	c.CreateBucket(b.Context(), &s3.CreateBucketInput{Bucket: aws.String("bench")})
	body := bytes.Repeat([]byte("0123456789abcdef"), 16<<20)
	if _, err := c.PutObject(b.Context(), &s3.PutObjectInput{Bucket: aws.String("bench"), Key: aws.String("big"), Body: bytes.NewReader(body)}); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(body)))
	// A 1 MiB read buffer, as download tools use: io.Discard's ReadFrom
	// would read in 8 KiB pieces and measure the client's syscalls.
	buf := make([]byte, 1<<20)
	for b.Loop() {
		out, err := c.GetObject(b.Context(), &s3.GetObjectInput{Bucket: aws.String("bench"), Key: aws.String("big")})
		if err != nil {
			b.Fatal(err)
		}
		if n, _ := io.CopyBuffer(struct{ io.Writer }{io.Discard}, out.Body, buf); n != int64(len(body)) {
			b.Fatalf("got %d bytes", n)
		}
		out.Body.Close()
	}
}

// small4KiB runs op with 16 concurrent clients and reports ops/s.
func small4KiB(b *testing.B, op func(c *s3.Client, i int64) error, setup func(c *s3.Client)) {
	n := benchNode(b)
	c := benchClient(b, n)
	c.CreateBucket(b.Context(), &s3.CreateBucketInput{Bucket: aws.String("small")})
	if setup != nil {
		setup(c)
	}
	var seq atomic.Int64
	b.SetParallelism(8) // 8 × GOMAXPROCS(2) = 16 clients
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := op(c, seq.Add(1)); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "ops/s")
}

var small = bytes.Repeat([]byte("x"), 4096)

func BenchmarkSmallPut4KiB(b *testing.B) {
	small4KiB(b, func(c *s3.Client, i int64) error {
		_, err := c.PutObject(b.Context(), &s3.PutObjectInput{Bucket: aws.String("small"), Key: aws.String(strconv.FormatInt(i, 10)), Body: bytes.NewReader(small)})
		return err
	}, nil)
}

func BenchmarkSmallGet4KiB(b *testing.B) {
	small4KiB(b, func(c *s3.Client, i int64) error {
		out, err := c.GetObject(b.Context(), &s3.GetObjectInput{Bucket: aws.String("small"), Key: aws.String(strconv.FormatInt(i%256, 10))})
		if err != nil {
			return err
		}
		io.Copy(io.Discard, out.Body)
		return out.Body.Close()
	}, func(c *s3.Client) {
		for i := range 256 {
			c.PutObject(b.Context(), &s3.PutObjectInput{Bucket: aws.String("small"), Key: aws.String(strconv.Itoa(i)), Body: bytes.NewReader(small)})
		}
	})
}

// BenchmarkListObjectsV2 lists a 20 000-key bucket in pages of 1000 and
// reports keys/s.
func BenchmarkListObjectsV2(b *testing.B) {
	n := benchNode(b)
	c := benchClient(b, n)
	c.CreateBucket(b.Context(), &s3.CreateBucketInput{Bucket: aws.String("list")})
	const keys = 20000
	sem := make(chan struct{}, 16)
	for i := range keys {
		sem <- struct{}{}
		go func() {
			defer func() { <-sem }()
			c.PutObject(b.Context(), &s3.PutObjectInput{Bucket: aws.String("list"), Key: aws.String(fmt.Sprintf("dir%02d/key%06d", i%50, i)), Body: strings.NewReader("v")})
		}()
	}
	for range cap(sem) {
		sem <- struct{}{}
	}
	start := time.Now()
	for b.Loop() {
		got := 0
		p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String("list")})
		for p.HasMorePages() {
			page, err := p.NextPage(b.Context())
			if err != nil {
				b.Fatal(err)
			}
			got += len(page.Contents)
		}
		if got != keys {
			b.Fatalf("listed %d keys, want %d", got, keys)
		}
	}
	b.ReportMetric(float64(b.N*keys)/time.Since(start).Seconds(), "keys/s")
}

// BenchmarkIdleRSS builds d3sd, starts it on a fresh data dir and reports
// its resident memory after it settles.
func BenchmarkIdleRSS(b *testing.B) {
	dir := b.TempDir()
	bin := filepath.Join(dir, "d3sd")
	build := exec.Command("go", "build", "-o", bin, "../cmd/d3sd")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("build: %v\n%s", err, out)
	}
	// One measurement whatever -benchtime says: each takes 5 s.
	cmd := exec.Command(bin, "--data", filepath.Join(dir, "data"), "--s3", "127.0.0.1:0")
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	time.Sleep(5 * time.Second) // settle: this is the measurement, not a wait for a condition
	rss := readRSS(b, cmd.Process.Pid)
	cmd.Process.Signal(os.Interrupt)
	cmd.Wait()
	for b.Loop() {
	}
	b.ReportMetric(rss, "MiB-RSS")
}

func readRSS(b *testing.B, pid int) float64 {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	b.Fatal("no VmRSS")
	return 0
}
