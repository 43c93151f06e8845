package s3_test

import (
	"crypto/md5"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/minio/minio-go/v7"

	"github.com/d3s/d3s/s3"
)

func lsIdentifiers(keys ...string) []types.ObjectIdentifier {
	var ids []types.ObjectIdentifier
	for _, k := range keys {
		ids = append(ids, types.ObjectIdentifier{Key: aws.String(k)})
	}
	return ids
}

// lsRemaining lists the keys left in bucket.
func lsRemaining(t *testing.T, e *testEnv, bucket string) []string {
	t.Helper()
	res, err := e.store.ListObjects(t.Context(), e.user, bucket, s3.ListOptions{MaxKeys: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, o := range res.Objects {
		keys = append(keys, o.Key)
	}
	return keys
}

func TestDeleteObjectsVerboseAndQuiet(t *testing.T) {
	e := newTestEnv(t)
	e.seedBucket(t, "del")
	odd := []string{"a b", "amp&<>", "uni/é", "nl\nkey", "plus+"}
	for _, k := range append([]string{"keep"}, odd...) {
		e.seedObject(t, "del", k, []byte("x"))
	}
	out, err := e.sdk.DeleteObjects(callCtx(t), &awss3.DeleteObjectsInput{
		Bucket: aws.String("del"), Delete: &types.Delete{Objects: lsIdentifiers(append(odd, "never-existed")...)},
	})
	if err != nil {
		t.Fatal(err)
	}
	var deleted []string
	for _, d := range out.Deleted {
		deleted = append(deleted, aws.ToString(d.Key))
	}
	if want := append(slices.Clone(odd), "never-existed"); !slices.Equal(deleted, want) || len(out.Errors) != 0 {
		t.Fatalf("deleted %q errors %v; want %q", deleted, out.Errors, want)
	}
	if left := lsRemaining(t, e, "del"); !slices.Equal(left, []string{"keep"}) {
		t.Fatalf("left %q", left)
	}

	e.seedObject(t, "del", "q", []byte("x"))
	out, err = e.sdk.DeleteObjects(callCtx(t), &awss3.DeleteObjectsInput{
		Bucket: aws.String("del"), Delete: &types.Delete{Objects: lsIdentifiers("q", strings.Repeat("k", 1025)), Quiet: aws.Bool(true)},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Deleted) != 0 || len(out.Errors) != 1 || aws.ToString(out.Errors[0].Code) != "KeyTooLongError" {
		t.Fatalf("quiet: deleted %d, errors %+v", len(out.Deleted), out.Errors)
	}
	if left := lsRemaining(t, e, "del"); !slices.Equal(left, []string{"keep"}) {
		t.Fatalf("left %q", left)
	}
}

func TestDeleteObjectsMinio(t *testing.T) {
	e := newTestEnv(t)
	e.seedBucket(t, "del")
	objs := make(chan minio.ObjectInfo, 1500)
	for i := range 1500 {
		k := fmt.Sprintf("k%04d", i)
		e.seedObject(t, "del", k, []byte("x"))
		objs <- minio.ObjectInfo{Key: k}
	}
	close(objs)
	for r := range e.minio.RemoveObjects(callCtx(t), "del", objs, minio.RemoveObjectsOptions{}) {
		t.Fatalf("remove %s: %v", r.ObjectName, r.Err)
	}
	if left := lsRemaining(t, e, "del"); len(left) != 0 {
		t.Fatalf("%d keys left", len(left))
	}
}

func TestDeleteObjectsBadRequests(t *testing.T) {
	e := newTestEnv(t)
	e.seedBucket(t, "del")
	e.seedObject(t, "del", "k", []byte("x"))
	many := "<Delete>" + strings.Repeat("<Object><Key>k</Key></Object>", 1001) + "</Delete>"
	tests := []struct {
		name, bucket, body string
		hdr                http.Header
		status             int
		code               string
	}{
		{"not xml", "del", "hello", nil, 400, "MalformedXML"},
		{"truncated", "del", "<Delete><Object><Key>k</Key>", nil, 400, "MalformedXML"},
		{"wrong root", "del", "<Remove><Object><Key>k</Key></Object></Remove>", nil, 400, "MalformedXML"},
		{"no objects", "del", "<Delete></Delete>", nil, 400, "MalformedXML"},
		{"object without key", "del", "<Delete><Object></Object></Delete>", nil, 400, "MalformedXML"},
		{"1001 keys", "del", many, nil, 400, "MalformedXML"},
		{"empty body", "del", "", nil, 400, "MalformedXML"},
		{"bad content-md5", "del", "<Delete><Object><Key>k</Key></Object></Delete>", http.Header{"Content-Md5": {base64.StdEncoding.EncodeToString(make([]byte, 16))}}, 400, "BadDigest"},
		{"malformed content-md5", "del", "<Delete><Object><Key>k</Key></Object></Delete>", http.Header{"Content-Md5": {"zz"}}, 400, "InvalidDigest"},
		{"no bucket", "nobucket", "<Delete><Object><Key>k</Key></Object></Delete>", nil, 404, "NoSuchBucket"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := e.call(t, "POST", "/"+tt.bucket+"?delete", []byte(tt.body), tt.hdr)
			wantXMLError(t, status, body, tt.status, tt.code)
		})
	}
	if left := lsRemaining(t, e, "del"); !slices.Equal(left, []string{"k"}) {
		t.Fatalf("a rejected request deleted keys: left %q", left)
	}
}

func TestDeleteObjectsRawResult(t *testing.T) {
	e := newTestEnv(t)
	e.seedBucket(t, "del")
	e.seedObject(t, "del", "a", []byte("x"))
	body := []byte(`<?xml version="1.0"?><Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Object><Key>a</Key></Object><Object><Key>b</Key><VersionId>123</VersionId></Object></Delete>`)
	sum := md5.Sum(body)
	status, resp := e.call(t, "POST", "/del?delete", body, http.Header{"Content-Md5": {base64.StdEncoding.EncodeToString(sum[:])}})
	if status != 200 {
		t.Fatalf("status %d: %s", status, resp)
	}
	var res struct {
		XMLName xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ DeleteResult"`
		Deleted []struct{ Key string }
		Error   []struct{ Key, VersionId, Code string }
	}
	if err := xml.Unmarshal(resp, &res); err != nil {
		t.Fatalf("%v: %s", err, resp)
	}
	if len(res.Deleted) != 1 || res.Deleted[0].Key != "a" || len(res.Error) != 1 ||
		res.Error[0].Key != "b" || res.Error[0].VersionId != "123" || res.Error[0].Code != "InvalidArgument" {
		t.Fatalf("unexpected result %s", resp)
	}
}
