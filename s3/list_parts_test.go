package s3_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
)

func TestListPartsPaging(t *testing.T) {
	e := newTestEnv(t)
	e.seedBucket(t, "mpb")
	id := lsStartUpload(t, e, "mpb", "k")
	for n := int32(1); n <= 5; n++ {
		lsUploadPart(t, e, "mpb", "k", id, n, []byte{byte(n)})
	}
	guard := 0
	p := awss3.NewListPartsPaginator(e.sdk, &awss3.ListPartsInput{
		Bucket: aws.String("mpb"), Key: aws.String("k"), UploadId: aws.String(id), MaxParts: aws.Int32(2),
	})
	var got []int32
	pages := 0
	for p.HasMorePages() {
		pageGuard(t, &guard)
		page, err := p.NextPage(callCtx(t))
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if page.Initiator == nil || aws.ToString(page.Owner.ID) != testAccessKey {
			t.Fatalf("page lacks Initiator/Owner: %+v", page)
		}
		for _, pt := range page.Parts {
			got = append(got, aws.ToInt32(pt.PartNumber))
		}
	}
	if pages != 3 || !slices.Equal(got, []int32{1, 2, 3, 4, 5}) {
		t.Fatalf("%d pages, parts %v", pages, got)
	}
}

func TestListMultipartUploadsPaging(t *testing.T) {
	e := newTestEnv(t)
	e.seedBucket(t, "mpb")
	var want []string
	for _, k := range []string{"u/a", "u/a", "u/b", "v/c", "w", "x y"} {
		want = append(want, k+" "+lsStartUpload(t, e, "mpb", k))
	}
	var got []string
	in := &awss3.ListMultipartUploadsInput{Bucket: aws.String("mpb"), MaxUploads: aws.Int32(2)}
	for pages := 0; ; pages++ {
		if pages > 5 {
			t.Fatal("pagination does not end")
		}
		out, err := e.sdk.ListMultipartUploads(callCtx(t), in)
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range out.Uploads {
			got = append(got, aws.ToString(u.Key)+" "+aws.ToString(u.UploadId))
		}
		if !aws.ToBool(out.IsTruncated) {
			break
		}
		in.KeyMarker, in.UploadIdMarker = out.NextKeyMarker, out.NextUploadIdMarker
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}

	out, err := e.sdk.ListMultipartUploads(callCtx(t), &awss3.ListMultipartUploadsInput{Bucket: aws.String("mpb"), Delimiter: aws.String("/")})
	if err != nil {
		t.Fatal(err)
	}
	var keys, prefixes []string
	for _, u := range out.Uploads {
		keys = append(keys, aws.ToString(u.Key))
	}
	for _, p := range out.CommonPrefixes {
		prefixes = append(prefixes, aws.ToString(p.Prefix))
	}
	if !slices.Equal(keys, []string{"w", "x y"}) || !slices.Equal(prefixes, []string{"u/", "v/"}) {
		t.Fatalf("delimiter: keys %q prefixes %q", keys, prefixes)
	}

	status, body := e.call(t, "GET", "/mpb?uploads&encoding-type=url&prefix=x", nil, nil)
	if status != 200 || !strings.Contains(string(body), "<Key>x+y</Key>") {
		t.Fatalf("encoding-type=url: %d %s", status, body)
	}
}
