package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// Issue 11: helpers shared by the consistency tests (strong_*_test.go).

// unavailableWithin bounds the retries of a 503: the issue lets a node
// that cannot prove an answer refuse, and a refusal is not a miss, but a
// healthy network must answer within it. 35 s: a GET of bytes held
// elsewhere answers 503 SlowDown after 30 s when no holder sends a piece
// (swarm.ErrStalled; seen once in 300 trials on a cold CI run, the
// remote-read stall issue 10 still has open); the count is reported.
const unavailableWithin = 35 * time.Second

// strongMode is the mode the strong tests start their nodes in: strong,
// unless D3S_E2E_CONSISTENCY says otherwise (eventual shows what the
// tests catch: they must fail there).
func strongMode(t *testing.T) string {
	if m := os.Getenv("D3S_E2E_CONSISTENCY"); m != "" {
		t.Logf("D3S_E2E_CONSISTENCY=%s: the nodes run --consistency %s", m, m)
		return m
	}
	return "strong"
}

// consNet is a network of d3sd processes started in one consistency mode,
// with one non-retrying client per node.
type consNet struct {
	t       *testing.T
	mode    string
	procs   []*procNode
	clients []*s3.Client
}

// startConsNet starts n d3sd processes with --consistency mode (and extra
// flags), waits until each is connected to all the others, creates bucket
// through node 1 and waits until every node lists it.
func startConsNet(t *testing.T, n int, mode, bucket string, extra ...string) *consNet {
	t.Helper()
	start := time.Now()
	procs := startProcNetwork(t, n, append([]string{"--consistency", mode}, extra...)...)
	cn := &consNet{t: t, mode: mode, procs: procs}
	for _, p := range procs {
		cn.clients = append(cn.clients, plainSDK(t, p.endpoint, p.access, p.secret))
	}
	if _, err := retry503(t.Context(), func() error {
		_, err := cn.clients[0].CreateBucket(t.Context(), &s3.CreateBucketInput{Bucket: aws.String(bucket)})
		return err
	}); err != nil {
		t.Fatalf("create bucket %s: %v", bucket, err)
	}
	for i, c := range cn.clients {
		eventually(t, 30*time.Second, fmt.Sprintf("node %d lists bucket %s", i+1, bucket), func() error {
			_, err := c.ListObjectsV2(t.Context(), &s3.ListObjectsV2Input{Bucket: aws.String(bucket), MaxKeys: aws.Int32(1)})
			return err
		})
	}
	t.Logf("%d d3sd processes (--consistency %s) connected, bucket %s everywhere, in %v", n, mode, bucket, time.Since(start).Round(time.Millisecond))
	return cn
}

// httpStatus is the HTTP status of an SDK error, 0 if it has none.
func httpStatus(err error) int {
	if re, ok := errors.AsType[*smithyhttp.ResponseError](err); ok {
		return re.HTTPStatusCode()
	}
	return 0
}

// errCode is the S3 error code of an SDK error, "" if it has none.
func errCode(err error) string {
	if ae, ok := errors.AsType[smithy.APIError](err); ok {
		return ae.ErrorCode()
	}
	return ""
}

// retry503 runs op until it answers something other than 503, for at most
// unavailableWithin, and returns op's last error and how many 503s came
// before it.
func retry503(ctx context.Context, op func() error) (int, error) {
	deadline := time.Now().Add(unavailableWithin)
	n := 0
	for {
		err := op()
		if httpStatus(err) != 503 || time.Now().After(deadline) || ctx.Err() != nil {
			return n, err
		}
		n++
		time.Sleep(100 * time.Millisecond) // the client's back-off between two asks
	}
}

// version is what a read shows of a key: its ETag, size and (for a GET)
// body SHA-256; the zero version is "absent" (404, or not listed).
type version struct {
	etag string
	size int64
	sum  string
}

func (v version) absent() bool { return v.etag == "" }

func (v version) String() string {
	if v.absent() {
		return "absent"
	}
	return fmt.Sprintf("etag %s, %d bytes, sha256 %.12s", v.etag, v.size, v.sum)
}

func unquote(etag *string) string { return strings.Trim(aws.ToString(etag), `"`) }

// readOp is one of the three reads a trial makes.
type readOp int

const (
	opGet readOp = iota
	opHead
	opList
)

var readOpNames = [...]string{"GET", "HEAD", "LIST"}

func (o readOp) String() string { return readOpNames[o] }

// readVersion reads key through c with op. A 404 (or a listing without the
// key) is the absent version with no error; any other failure is an
// error.
func readVersion(ctx context.Context, c *s3.Client, op readOp, bucket, key string) (version, error) {
	switch op {
	case opGet:
		out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		if httpStatus(err) == 404 && errCode(err) == "NoSuchKey" {
			return version{}, nil
		}
		if err != nil {
			return version{}, err
		}
		defer out.Body.Close()
		h := sha256.New()
		n, err := io.Copy(h, out.Body)
		if err != nil {
			return version{}, fmt.Errorf("GET body after %d bytes: %w", n, err)
		}
		return version{etag: unquote(out.ETag), size: n, sum: hex.EncodeToString(h.Sum(nil))}, nil
	case opHead:
		out, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		if httpStatus(err) == 404 {
			return version{}, nil
		}
		if err != nil {
			return version{}, err
		}
		return version{etag: unquote(out.ETag), size: aws.ToInt64(out.ContentLength)}, nil
	default:
		out, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(key)})
		if err != nil {
			return version{}, err
		}
		for _, o := range out.Contents {
			if aws.ToString(o.Key) == key {
				return version{etag: unquote(o.ETag), size: aws.ToInt64(o.Size)}, nil
			}
		}
		return version{}, nil
	}
}

// sees reports whether got (read with op) is want: the same ETag and size,
// and for a GET the same bytes.
func sees(op readOp, got, want version) bool {
	if want.absent() || got.absent() {
		return want.absent() == got.absent()
	}
	return got.etag == want.etag && got.size == want.size && (op != opGet || got.sum == want.sum)
}
