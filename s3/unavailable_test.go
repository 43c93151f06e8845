package s3_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/d3s/d3s/s3"
	"github.com/d3s/d3s/s3/s3test"
)

// unavailableStore answers every read of a bucket's index with 503, as a
// node does whose copy of the index cannot be brought up to date.
type unavailableStore struct{ *s3test.MemStore }

var errIndex = fmt.Errorf("%w: bucket index not merged", s3.ErrServiceUnavailable)

func (unavailableStore) ListObjects(context.Context, s3.User, string, s3.ListOptions) (s3.ListResult, error) {
	return s3.ListResult{}, errIndex
}

func (unavailableStore) GetObject(context.Context, s3.User, string, string) (s3.ObjectInfo, io.ReadSeekCloser, error) {
	return s3.ObjectInfo{}, nil, errIndex
}

func (unavailableStore) HeadObject(context.Context, s3.User, string, string) (s3.ObjectInfo, error) {
	return s3.ObjectInfo{}, errIndex
}

// TestServiceUnavailableRetryAfter: a 503 reaches the client with
// Retry-After, for LIST, GET and HEAD.
func TestServiceUnavailableRetryAfter(t *testing.T) {
	c := clientOf(t, unavailableStore{s3test.NewMemStore()})
	ctx := t.Context()
	b, k := aws.String("bucket"), aws.String("k")
	for op, call := range map[string]func() error{
		"LIST": func() error { _, err := c.ListObjectsV2(ctx, &awss3.ListObjectsV2Input{Bucket: b}); return err },
		"GET":  func() error { _, err := c.GetObject(ctx, &awss3.GetObjectInput{Bucket: b, Key: k}); return err },
		"HEAD": func() error { _, err := c.HeadObject(ctx, &awss3.HeadObjectInput{Bucket: b, Key: k}); return err },
	} {
		var re *awshttp.ResponseError
		if err := call(); !errors.As(err, &re) || re.HTTPStatusCode() != 503 {
			t.Fatalf("%s: %v, want 503", op, err)
		}
		if got := re.Response.Header.Get("Retry-After"); got == "" {
			t.Errorf("%s: 503 without Retry-After", op)
		}
	}
}

// stalledStore serves objects whose body fails on the first read, as a
// node's does when no holder of a remote object delivers.
type stalledStore struct{ *s3test.MemStore }

type stalledBody struct{ io.ReadSeeker }

func (stalledBody) Read([]byte) (int, error) {
	return 0, fmt.Errorf("%w: no holder delivered", s3.ErrSlowDown)
}
func (stalledBody) Close() error { return nil }

func (s stalledStore) GetObject(ctx context.Context, u s3.User, b, k string) (s3.ObjectInfo, io.ReadSeekCloser, error) {
	info, body, err := s.MemStore.GetObject(ctx, u, b, k)
	if err != nil {
		return info, nil, err
	}
	body.Close()
	return info, stalledBody{body}, nil
}

// TestGetBodyFailsBeforeStatus: a body that fails before its first byte
// is answered with its error status (503 SlowDown, Retry-After), not with
// a 200 whose body is cut short.
func TestGetBodyFailsBeforeStatus(t *testing.T) {
	c := clientOf(t, stalledStore{s3test.NewMemStore()})
	ctx := t.Context()
	b, k := aws.String("bucket"), aws.String("k")
	if _, err := c.CreateBucket(ctx, &awss3.CreateBucketInput{Bucket: b}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutObject(ctx, &awss3.PutObjectInput{Bucket: b, Key: k, Body: strings.NewReader("hello")}); err != nil {
		t.Fatal(err)
	}
	_, err := c.GetObject(ctx, &awss3.GetObjectInput{Bucket: b, Key: k})
	var re *awshttp.ResponseError
	if !errors.As(err, &re) || re.HTTPStatusCode() != 503 {
		t.Fatalf("GET: %v, want 503", err)
	}
	if re.Response.Header.Get("Retry-After") == "" {
		t.Errorf("503 without Retry-After")
	}
}

// clientOf serves store over HTTP for the test user and returns an SDK
// client that does not retry, so each answer is seen as sent.
func clientOf(t *testing.T, store s3.ObjectStore) *awss3.Client {
	creds := &s3test.MemCredentials{}
	creds.Add(testAccessKey, testSecret, testUserName)
	srv := httptest.NewServer(s3.NewServer(store, creds, s3.Options{}))
	t.Cleanup(srv.Close)
	return sdkClient(srv.URL, func(o *awss3.Options) { o.Retryer = aws.NopRetryer{} })
}
