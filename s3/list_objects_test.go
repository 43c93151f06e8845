package s3_test

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/minio/minio-go/v7"
)

// lsManyKeys stores n small objects and returns their sorted keys.
func lsManyKeys(t *testing.T, e *testEnv, bucket string, n int) []string {
	t.Helper()
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("dir%d/obj-%05d", i%3, i)
		e.seedObject(t, bucket, keys[i], []byte(keys[i]))
	}
	slices.Sort(keys)
	return keys
}

func TestListObjectsV2PaginatorAllKeys(t *testing.T) {
	e := newTestEnv(t)
	e.seedBucket(t, "many")
	want := lsManyKeys(t, e, "many", 2500)
	guard := 0
	p := awss3.NewListObjectsV2Paginator(e.sdk, &awss3.ListObjectsV2Input{Bucket: aws.String("many")})
	var got []string
	pages := 0
	for p.HasMorePages() {
		pageGuard(t, &guard)
		page, err := p.NextPage(callCtx(t))
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if int(aws.ToInt32(page.KeyCount)) != len(page.Contents) {
			t.Errorf("page %d: KeyCount %d, %d contents", pages, aws.ToInt32(page.KeyCount), len(page.Contents))
		}
		for _, o := range page.Contents {
			got = append(got, aws.ToString(o.Key))
		}
	}
	if pages != 3 || !slices.Equal(got, want) {
		t.Fatalf("%d pages, %d keys; want 3 pages, %d keys in order", pages, len(got), len(want))
	}
}

func TestListObjectsV1MarkerPagination(t *testing.T) {
	e := newTestEnv(t)
	e.seedBucket(t, "many")
	want := lsManyKeys(t, e, "many", 2500)
	var got []string
	in := &awss3.ListObjectsInput{Bucket: aws.String("many"), MaxKeys: aws.Int32(700)}
	for pages := 0; ; pages++ {
		if pages > 10 {
			t.Fatal("pagination does not end")
		}
		out, err := e.sdk.ListObjects(callCtx(t), in)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range out.Contents {
			got = append(got, aws.ToString(o.Key))
		}
		if !aws.ToBool(out.IsTruncated) {
			break
		}
		if aws.ToString(out.NextMarker) != got[len(got)-1] {
			t.Fatalf("NextMarker %q, want last key %q", aws.ToString(out.NextMarker), got[len(got)-1])
		}
		in.Marker = out.NextMarker
	}
	if !slices.Equal(got, want) {
		t.Fatalf("got %d keys, want %d in order", len(got), len(want))
	}
}

func TestListObjectsMinioV1AndV2(t *testing.T) {
	e := newTestEnv(t)
	e.seedBucket(t, "many")
	want := lsManyKeys(t, e, "many", 2500)
	for _, v1 := range []bool{false, true} {
		var got []string
		for o := range e.minio.ListObjects(callCtx(t), "many", minio.ListObjectsOptions{Recursive: true, UseV1: v1}) {
			if o.Err != nil {
				t.Fatalf("v1=%v: %v", v1, o.Err)
			}
			got = append(got, o.Key)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("v1=%v: got %d keys, want %d in order", v1, len(got), len(want))
		}
	}
}

func TestListObjectsDelimiter(t *testing.T) {
	e := newTestEnv(t)
	e.seedBucket(t, "tree")
	for _, k := range []string{"a/b/c", "a/d", "b", "c/x", "c/y", "d::e::f", "d::g", "dz"} {
		e.seedObject(t, "tree", k, []byte("x"))
	}
	tests := []struct {
		prefix, delim  string
		keys, prefixes []string
	}{
		{"", "/", []string{"b", "d::e::f", "d::g", "dz"}, []string{"a/", "c/"}},
		{"a/", "/", []string{"a/d"}, []string{"a/b/"}},
		{"", "::", []string{"a/b/c", "a/d", "b", "c/x", "c/y", "dz"}, []string{"d::"}},
		{"d::", "::", []string{"d::g"}, []string{"d::e::"}},
		{"", "", []string{"a/b/c", "a/d", "b", "c/x", "c/y", "d::e::f", "d::g", "dz"}, nil},
	}
	for _, tt := range tests {
		out, err := e.sdk.ListObjectsV2(callCtx(t), &awss3.ListObjectsV2Input{
			Bucket: aws.String("tree"), Prefix: aws.String(tt.prefix), Delimiter: aws.String(tt.delim),
		})
		if err != nil {
			t.Fatal(err)
		}
		keys, prefixes := lsContentKeys(out.Contents), lsPrefixStrings(out.CommonPrefixes)
		if !slices.Equal(keys, tt.keys) || !slices.Equal(prefixes, tt.prefixes) {
			t.Errorf("prefix %q delimiter %q: keys %q prefixes %q; want %q %q", tt.prefix, tt.delim, keys, prefixes, tt.keys, tt.prefixes)
		}
	}
}

func TestListObjectsDelimiterPagesCountPrefixes(t *testing.T) {
	e := newTestEnv(t)
	e.seedBucket(t, "tree")
	for _, k := range []string{"a/1", "a/2", "b", "c/1", "d"} {
		e.seedObject(t, "tree", k, []byte("x"))
	}
	guard := 0
	p := awss3.NewListObjectsV2Paginator(e.sdk, &awss3.ListObjectsV2Input{
		Bucket: aws.String("tree"), Delimiter: aws.String("/"), MaxKeys: aws.Int32(1),
	})
	var got []string
	for p.HasMorePages() {
		pageGuard(t, &guard)
		page, err := p.NextPage(callCtx(t))
		if err != nil {
			t.Fatal(err)
		}
		entries := append(lsContentKeys(page.Contents), lsPrefixStrings(page.CommonPrefixes)...)
		if len(entries) != 1 {
			t.Fatalf("page with max-keys 1 holds %q", entries)
		}
		got = append(got, entries...)
	}
	if want := []string{"a/", "b", "c/", "d"}; !slices.Equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}

// lsOddKeys need encoding-type=url to survive XML 1.0 or a careless client.
var lsOddKeys = []string{"sp ace", "plus+sign", "pct%20", "amp&<>\"'", "uni/é/日本", "tab\tkey", "nl\nkey", "ctl\x01key", "q?x=1#f"}

func TestListObjectsURLEncoding(t *testing.T) {
	e := newTestEnv(t)
	e.seedBucket(t, "odd")
	for _, k := range lsOddKeys {
		e.seedObject(t, "odd", k, []byte("x"))
	}
	want := slices.Sorted(slices.Values(lsOddKeys))
	var got []string
	for o := range e.minio.ListObjects(callCtx(t), "odd", minio.ListObjectsOptions{Recursive: true}) {
		if o.Err != nil {
			t.Fatal(o.Err)
		}
		got = append(got, o.Key)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("minio-go: got %q, want %q", got, want)
	}
	out, err := e.sdk.ListObjectsV2(callCtx(t), &awss3.ListObjectsV2Input{Bucket: aws.String("odd"), EncodingType: types.EncodingTypeUrl})
	if err != nil {
		t.Fatal(err)
	}
	got = got[:0]
	for _, k := range lsContentKeys(out.Contents) {
		d, err := url.QueryUnescape(k)
		if err != nil {
			t.Fatalf("key %q is not URL-encoded: %v", k, err)
		}
		got = append(got, d)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("sdk: got %q, want %q", got, want)
	}
}

func TestListObjectsV1URLEncodesMarkersAndPrefixes(t *testing.T) {
	e := newTestEnv(t)
	e.seedBucket(t, "odd")
	for _, k := range []string{"a b/1", "a b/2", "c+d", "e&f"} {
		e.seedObject(t, "odd", k, []byte("x"))
	}
	status, body := e.call(t, "GET", "/odd?encoding-type=url&delimiter=%2F&max-keys=2&marker=%20", nil, nil)
	if status != 200 {
		t.Fatalf("status %d: %s", status, body)
	}
	var res struct {
		Marker, NextMarker, Delimiter, EncodingType string
		IsTruncated                                 bool
		CommonPrefixes                              []struct{ Prefix string }
		Contents                                    []struct{ Key string }
	}
	if err := xml.Unmarshal(body, &res); err != nil {
		t.Fatal(err)
	}
	if res.Marker != "+" || res.Delimiter != "/" || res.EncodingType != "url" || !res.IsTruncated ||
		len(res.CommonPrefixes) != 1 || res.CommonPrefixes[0].Prefix != "a+b/" ||
		len(res.Contents) != 1 || res.Contents[0].Key != "c%2Bd" || res.NextMarker != "c%2Bd" {
		t.Fatalf("unexpected page %s", body)
	}
}

func TestListObjectsXMLShape(t *testing.T) {
	e := newTestEnv(t)
	e.seedBucket(t, "shape")
	info := e.seedObject(t, "shape", "k", []byte("hello"))
	status, body := e.call(t, "GET", "/shape?list-type=2&fetch-owner=true&start-after=a", nil, nil)
	if status != 200 {
		t.Fatalf("status %d: %s", status, body)
	}
	s := string(body)
	for _, want := range []string{
		`<?xml version="1.0" encoding="UTF-8"?>`,
		`<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">`,
		`<ETag>&#34;` + info.ETag + `&#34;</ETag>`, `<Size>5</Size>`, `<StorageClass>STANDARD</StorageClass>`,
		`<KeyCount>1</KeyCount>`, `<MaxKeys>1000</MaxKeys>`, `<StartAfter>a</StartAfter>`,
		`<Owner><ID>` + testAccessKey + `</ID>`,
	} {
		if !strings.Contains(s, want) {
			t.Errorf("body lacks %s:\n%s", want, s)
		}
	}
	if !regexp.MustCompile(`<LastModified>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z</LastModified>`).MatchString(s) {
		t.Errorf("LastModified not in RFC 3339 with milliseconds:\n%s", s)
	}
}

func TestListObjectsBadParameters(t *testing.T) {
	e := newTestEnv(t)
	e.seedBucket(t, "bkt")
	tests := []struct {
		query      string
		status     int
		code, name string
	}{
		{"?max-keys=-1", 400, "InvalidArgument", "negative max-keys"},
		{"?max-keys=ten", 400, "InvalidArgument", "non-numeric max-keys"},
		{"?list-type=2&max-keys=x", 400, "InvalidArgument", "v2 non-numeric max-keys"},
		{"?encoding-type=base64", 400, "InvalidArgument", "bad encoding-type"},
		{"?list-type=2&continuation-token=not-a-token", 400, "InvalidArgument", "bad token"},
		{"?list-type=2&continuation-token=" + url.QueryEscape("aGVsbG8"), 400, "InvalidArgument", "base64 not ours"},
	}
	for _, tt := range tests {
		status, body := e.call(t, "GET", "/bkt"+tt.query, nil, nil)
		t.Run(tt.name, func(t *testing.T) { wantXMLError(t, status, body, tt.status, tt.code) })
	}
	status, body := e.call(t, "GET", "/missing?list-type=2", nil, nil)
	wantXMLError(t, status, body, http.StatusNotFound, "NoSuchBucket")
}

func TestListObjectsMaxKeysClampedAndZero(t *testing.T) {
	e := newTestEnv(t)
	e.seedBucket(t, "bkt")
	lsManyKeys(t, e, "bkt", 1001)
	out, err := e.sdk.ListObjectsV2(callCtx(t), &awss3.ListObjectsV2Input{Bucket: aws.String("bkt"), MaxKeys: aws.Int32(5000)})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Contents) != 1000 || !aws.ToBool(out.IsTruncated) || aws.ToInt32(out.MaxKeys) != 1000 {
		t.Fatalf("max-keys 5000: %d keys, truncated %v, MaxKeys %d", len(out.Contents), aws.ToBool(out.IsTruncated), aws.ToInt32(out.MaxKeys))
	}
	out, err = e.sdk.ListObjectsV2(callCtx(t), &awss3.ListObjectsV2Input{Bucket: aws.String("bkt"), MaxKeys: aws.Int32(0)})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Contents) != 0 || aws.ToInt32(out.KeyCount) != 0 {
		t.Fatalf("max-keys 0 listed %d keys", len(out.Contents))
	}
}

func lsContentKeys(objs []types.Object) []string {
	var keys []string
	for _, o := range objs {
		keys = append(keys, aws.ToString(o.Key))
	}
	return keys
}

func lsPrefixStrings(cps []types.CommonPrefix) []string {
	var out []string
	for _, p := range cps {
		out = append(out, aws.ToString(p.Prefix))
	}
	return out
}

func TestListObjectsV2StartAfterWithPaginator(t *testing.T) {
	e := newTestEnv(t)
	e.seedBucket(t, "many")
	keys := lsManyKeys(t, e, "many", 1200)
	startAfter := keys[99]
	guard := 0
	p := awss3.NewListObjectsV2Paginator(e.sdk, &awss3.ListObjectsV2Input{
		Bucket: aws.String("many"), StartAfter: aws.String(startAfter), MaxKeys: aws.Int32(250),
	})
	var got []string
	for p.HasMorePages() {
		pageGuard(t, &guard)
		page, err := p.NextPage(callCtx(t))
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(page.StartAfter) != startAfter {
			t.Fatalf("StartAfter echoed as %q", aws.ToString(page.StartAfter))
		}
		got = append(got, lsContentKeys(page.Contents)...)
	}
	if !slices.Equal(got, keys[100:]) || guard != 5 {
		t.Fatalf("%d pages, %d keys; want 5 pages, %d keys", guard, len(got), len(keys)-100)
	}
}
