package s3_test

import (
	"encoding/xml"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/minio/minio-go/v7"
)

func TestBucketLifecycleSDK(t *testing.T) {
	e := newTestEnv(t)
	ctx := callCtx(t)
	for _, b := range []string{"beta", "alpha.one", "gamma-3"} {
		e.mkBucket(t, b)
	}
	out, err := e.sdk.ListBuckets(ctx, &awss3.ListBucketsInput{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, b := range out.Buckets {
		names = append(names, aws.ToString(b.Name))
		if b.CreationDate == nil || b.CreationDate.IsZero() {
			t.Errorf("bucket %s has no creation date", aws.ToString(b.Name))
		}
	}
	if want := []string{"alpha.one", "beta", "gamma-3"}; !slices.Equal(names, want) {
		t.Fatalf("ListBuckets = %v, want %v", names, want)
	}
	if out.Owner == nil || aws.ToString(out.Owner.ID) != testAccessKey || aws.ToString(out.Owner.DisplayName) != testUserName {
		t.Fatalf("owner = %+v", out.Owner)
	}
	if _, err := e.sdk.HeadBucket(ctx, &awss3.HeadBucketInput{Bucket: aws.String("beta")}); err != nil {
		t.Fatalf("HeadBucket: %v", err)
	}
	if _, err := e.sdk.DeleteBucket(ctx, &awss3.DeleteBucketInput{Bucket: aws.String("beta")}); err != nil {
		t.Fatalf("DeleteBucket: %v", err)
	}
	_, err = e.sdk.HeadBucket(ctx, &awss3.HeadBucketInput{Bucket: aws.String("beta")})
	wantCode(t, err, "NotFound") // HEAD has no body: the SDK names the status
	_, err = e.sdk.DeleteBucket(ctx, &awss3.DeleteBucketInput{Bucket: aws.String("beta")})
	wantCode(t, err, "NoSuchBucket")
}

func TestListBucketsPages(t *testing.T) {
	e := newTestEnv(t)
	for _, b := range []string{"p-a", "p-b", "p-c", "q-a"} {
		e.mkBucket(t, b)
	}
	var got []string
	p := awss3.NewListBucketsPaginator(e.sdk, &awss3.ListBucketsInput{
		Prefix: aws.String("p-"), MaxBuckets: aws.Int32(2)})
	for p.HasMorePages() {
		out, err := p.NextPage(callCtx(t))
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range out.Buckets {
			got = append(got, aws.ToString(b.Name))
		}
	}
	if want := []string{"p-a", "p-b", "p-c"}; !slices.Equal(got, want) {
		t.Fatalf("paged ListBuckets = %v, want %v", got, want)
	}
}

func TestCreateBucketErrors(t *testing.T) {
	e := newTestEnv(t)
	e.mkBucket(t, "mine")
	_, err := e.sdk.CreateBucket(callCtx(t), &awss3.CreateBucketInput{Bucket: aws.String("mine")})
	wantCode(t, err, "BucketAlreadyOwnedByYou")

	bad := []string{"ab", strings.Repeat("a", 64), "Upper", "under_score", "-start", "end-",
		"a..b", "192.168.1.1", "xn--abc", "name-s3alias", ".dot", "sp ace"}
	for _, name := range bad {
		t.Run(name, func(t *testing.T) {
			e.do(t, rawRequest{method: "PUT", path: "/" + url.PathEscape(name)}).
				wantError(t, http.StatusBadRequest, "InvalidBucketName")
		})
	}
	for _, name := range []string{"abc", strings.Repeat("a", 63), "a.b-c.1", "1.2.3"} {
		e.do(t, rawRequest{method: "PUT", path: "/" + name}).wantStatus(t, http.StatusOK)
	}
}

func TestCreateBucketLocationConstraint(t *testing.T) {
	e := newTestEnv(t)
	// minio-go sends a CreateBucketConfiguration for any region but us-east-1.
	if err := e.minio.MakeBucket(callCtx(t), "elsewhere", minio.MakeBucketOptions{Region: "eu-west-1"}); err != nil {
		t.Fatalf("MakeBucket with a location constraint: %v", err)
	}
	body := []byte(`<CreateBucketConfiguration><LocationConstraint>ap-south-1</LocationConstraint></CreateBucketConfiguration>`)
	e.do(t, rawRequest{method: "PUT", path: "/raw-config", body: body}).wantStatus(t, http.StatusOK)
	e.do(t, rawRequest{method: "PUT", path: "/bad-config", body: []byte("<Create")}).
		wantError(t, http.StatusBadRequest, "MalformedXML")
	if ok, err := e.minio.BucketExists(callCtx(t), "bad-config"); err != nil || ok {
		t.Fatalf("bucket with malformed configuration exists=%v err=%v", ok, err)
	}
}

func TestDeleteBucketNotEmpty(t *testing.T) {
	e := newTestEnv(t)
	e.mkBucket(t, "full")
	e.putBytes(t, "full", "k", []byte("v"))
	_, err := e.sdk.DeleteBucket(callCtx(t), &awss3.DeleteBucketInput{Bucket: aws.String("full")})
	wantCode(t, err, "BucketNotEmpty")
	e.do(t, rawRequest{method: "DELETE", path: "/full"}).wantError(t, http.StatusConflict, "BucketNotEmpty")
}

func TestBucketReadOnlySubresources(t *testing.T) {
	e := newTestEnv(t)
	e.mkBucket(t, "subs")
	ctx := callCtx(t)
	loc, err := e.sdk.GetBucketLocation(ctx, &awss3.GetBucketLocationInput{Bucket: aws.String("subs")})
	if err != nil || loc.LocationConstraint != "" {
		t.Fatalf("GetBucketLocation = %q, %v; want us-east-1 as empty", loc.LocationConstraint, err)
	}
	if region, err := e.minio.GetBucketLocation(ctx, "subs"); err != nil || region != "us-east-1" {
		t.Fatalf("minio GetBucketLocation = %q, %v", region, err)
	}
	ver, err := e.sdk.GetBucketVersioning(ctx, &awss3.GetBucketVersioningInput{Bucket: aws.String("subs")})
	if err != nil || ver.Status != "" {
		t.Fatalf("GetBucketVersioning = %q, %v; want never enabled", ver.Status, err)
	}
	acl, err := e.sdk.GetBucketAcl(ctx, &awss3.GetBucketAclInput{Bucket: aws.String("subs")})
	if err != nil {
		t.Fatal(err)
	}
	if len(acl.Grants) != 1 || acl.Grants[0].Permission != types.PermissionFullControl ||
		aws.ToString(acl.Grants[0].Grantee.ID) != testAccessKey || acl.Grants[0].Grantee.Type != types.TypeCanonicalUser {
		t.Fatalf("GetBucketAcl grants = %+v", acl.Grants)
	}
	_, err = e.sdk.GetBucketLocation(ctx, &awss3.GetBucketLocationInput{Bucket: aws.String("nosuch")})
	wantCode(t, err, "NoSuchBucket")
}

func TestListBucketsXMLShape(t *testing.T) {
	e := newTestEnv(t)
	e.mkBucket(t, "shape")
	resp := e.do(t, rawRequest{method: "GET", path: "/"})
	resp.wantStatus(t, http.StatusOK)
	var doc struct {
		XMLName xml.Name
		Buckets []struct {
			Name         string
			CreationDate string
		} `xml:"Buckets>Bucket"`
	}
	if err := xml.Unmarshal(resp.body, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.XMLName.Space != "http://s3.amazonaws.com/doc/2006-03-01/" || doc.XMLName.Local != "ListAllMyBucketsResult" {
		t.Fatalf("root element %v", doc.XMLName)
	}
	if len(doc.Buckets) != 1 || !strings.HasSuffix(doc.Buckets[0].CreationDate, "Z") {
		t.Fatalf("buckets %+v", doc.Buckets)
	}
}
