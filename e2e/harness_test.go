package e2e

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/minio/minio-go/v7"
	miniocreds "github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/d3s/d3s/node"
)

// testNode is one running d3sd node and the first user's credentials.
type testNode struct {
	*node.Node
	dir      string
	endpoint string // http://127.0.0.1:port
	access   string
	secret   string
}

// startNode runs a node on loopback in a fresh data dir and stops it when
// the test ends.
func startNode(t testing.TB) *testNode {
	t.Helper()
	return startNodeIn(t, t.TempDir())
}

func startNodeIn(t testing.TB, dir string) *testNode {
	t.Helper()
	return startNodeWith(t, dir, nil)
}

// startNodeWith starts a node on dir after edit (if not nil) changed its
// configuration.
func startNodeWith(t testing.TB, dir string, edit func(*node.Config)) *testNode {
	t.Helper()
	cfg := node.DefaultConfig()
	cfg.DataDir = dir
	cfg.S3Addr = "127.0.0.1:0"
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() && os.Getenv("D3S_TEST_LOG") != "" {
		cfg.Logger = slog.Default()
	}
	if edit != nil {
		edit(&cfg)
	}
	n, err := node.New(cfg)
	if err != nil {
		t.Fatalf("node.New: %v", err)
	}
	if err := n.Start(t.Context()); err != nil {
		n.Close()
		t.Fatalf("node.Start: %v", err)
	}
	t.Cleanup(func() { n.Close() })
	tn := &testNode{Node: n, dir: dir, endpoint: "http://" + n.S3Addr()}
	if u := n.FirstUser(); u != nil {
		tn.access, tn.secret = u.AccessKeyID, u.SecretAccessKey
	}
	return tn
}

// sdk returns an aws-sdk-go-v2 client for the node's first user, with the
// SDK's default checksum behaviour.
func (n *testNode) sdk(t *testing.T) *s3.Client {
	t.Helper()
	return n.sdkWith(t, n.access, n.secret)
}

func (n *testNode) sdkWith(t *testing.T, access, secret string) *s3.Client {
	t.Helper()
	return s3.New(s3.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(n.endpoint),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(access, secret, ""),
		HTTPClient:   &http.Client{Timeout: 5 * time.Minute},
		// The defaults config.LoadDefaultConfig gives users.
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenSupported,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenSupported,
	})
}

// minio returns a minio-go client for the node's first user.
func (n *testNode) minio(t *testing.T) *minio.Client {
	t.Helper()
	c, err := minio.New(n.endpoint[len("http://"):], &minio.Options{
		Creds:  miniocreds.NewStaticV4(n.access, n.secret, ""),
		Region: "us-east-1",
	})
	if err != nil {
		t.Fatalf("minio.New: %v", err)
	}
	return c
}

// randomBytes returns n random bytes and their hex SHA-256.
func randomBytes(t *testing.T, n int) ([]byte, string) {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return b, hex.EncodeToString(sum[:])
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// ctx returns the test's context with a deadline.
func ctx(t *testing.T, d time.Duration) context.Context {
	t.Helper()
	c, cancel := context.WithTimeout(t.Context(), d)
	t.Cleanup(cancel)
	return c
}
