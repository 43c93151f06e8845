package s3test

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/d3s/d3s/s3"
)

func testBuckets(t *testing.T, newStore func(t *testing.T) s3.ObjectStore) {
	t.Run("Lifecycle", func(t *testing.T) { testBucketLifecycle(t, newFixture(t, newStore)) })
	t.Run("ListSorted", func(t *testing.T) { testListBucketsSorted(t, newFixture(t, newStore)) })
	t.Run("SeparateUsers", func(t *testing.T) { testSeparateUsers(t, newFixture(t, newStore)) })
	t.Run("MissingBucket", func(t *testing.T) { testMissingBucket(t, newFixture(t, newStore)) })
}

func testBucketLifecycle(t *testing.T, f *fixture) {
	_, err := f.s.HeadBucket(f.ctx, alice, "photos")
	wantCode(t, err, s3.ErrNoSuchBucket)
	wantCode(t, f.s.DeleteBucket(f.ctx, alice, "photos"), s3.ErrNoSuchBucket)
	f.bucket(alice, "photos")
	wantCode(t, f.s.CreateBucket(f.ctx, alice, "photos"), s3.ErrBucketAlreadyOwnedByYou)
	info, err := f.s.HeadBucket(f.ctx, alice, "photos")
	if err != nil || info.Name != "photos" || info.Created.IsZero() {
		t.Fatalf("HeadBucket = %+v, %v; want photos with a creation time", info, err)
	}
	f.put(alice, "photos", "cat.jpg", []byte("meow"), s3.PutOptions{})
	wantCode(t, f.s.DeleteBucket(f.ctx, alice, "photos"), s3.ErrBucketNotEmpty)
	if err := f.s.DeleteObject(f.ctx, alice, "photos", "cat.jpg"); err != nil {
		t.Fatal(err)
	}
	if err := f.s.DeleteBucket(f.ctx, alice, "photos"); err != nil {
		t.Fatalf("DeleteBucket of an emptied bucket: %v", err)
	}
	_, err = f.s.HeadBucket(f.ctx, alice, "photos")
	wantCode(t, err, s3.ErrNoSuchBucket)
	// A deleted bucket can be created again, empty.
	f.bucket(alice, "photos")
	res, err := f.s.ListObjects(f.ctx, alice, "photos", s3.ListOptions{MaxKeys: 1000})
	if err != nil || len(res.Objects) != 0 {
		t.Fatalf("ListObjects of a re-created bucket = %+v, %v; want empty", res, err)
	}
}

func testListBucketsSorted(t *testing.T, f *fixture) {
	bs, err := f.s.ListBuckets(f.ctx, alice)
	if err != nil || len(bs) != 0 {
		t.Fatalf("ListBuckets of a new user = %v, %v; want none", bs, err)
	}
	for _, b := range []string{"zeta", "alpha", "mid-bucket", "alpha.2", "alpha-1"} {
		f.bucket(alice, b)
	}
	bs, err = f.s.ListBuckets(f.ctx, alice)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, b := range bs {
		names = append(names, b.Name)
		if b.Created.IsZero() {
			t.Errorf("bucket %s has no creation time", b.Name)
		}
	}
	want := []string{"alpha", "alpha-1", "alpha.2", "mid-bucket", "zeta"}
	if !slices.Equal(names, want) {
		t.Fatalf("ListBuckets = %q, want %q", names, want)
	}
}

func testSeparateUsers(t *testing.T, f *fixture) {
	f.bucket(alice, "photos")
	f.bucket(bob, "photos")
	f.bucket(alice, "private")
	f.put(alice, "photos", "k", []byte("alice's"), s3.PutOptions{})
	f.put(bob, "photos", "k", []byte("bob's"), s3.PutOptions{})
	f.wantBody(alice, "photos", "k", []byte("alice's"))
	f.wantBody(bob, "photos", "k", []byte("bob's"))

	bs, err := f.s.ListBuckets(f.ctx, bob)
	if err != nil || len(bs) != 1 || bs[0].Name != "photos" {
		t.Fatalf("bob's ListBuckets = %v, %v; want only photos", bs, err)
	}
	_, err = f.s.HeadBucket(f.ctx, bob, "private")
	wantCode(t, err, s3.ErrNoSuchBucket)
	_, err = f.s.PutObject(f.ctx, bob, "private", "x", strings.NewReader("x"), s3.PutOptions{Size: 1})
	wantCode(t, err, s3.ErrNoSuchBucket)
	_, err = f.s.CopyObject(f.ctx, bob, "private", "k", "photos", "stolen", s3.CopyOptions{})
	wantCode(t, err, s3.ErrNoSuchBucket)
	wantCode(t, f.s.DeleteBucket(f.ctx, bob, "private"), s3.ErrNoSuchBucket)

	if err := f.s.DeleteObject(f.ctx, bob, "photos", "k"); err != nil {
		t.Fatal(err)
	}
	if err := f.s.DeleteBucket(f.ctx, bob, "photos"); err != nil {
		t.Fatal(err)
	}
	f.wantBody(alice, "photos", "k", []byte("alice's"))
}

func testMissingBucket(t *testing.T, f *fixture) {
	f.bucket(alice, "present")
	f.put(alice, "present", "k", []byte("v"), s3.PutOptions{})
	ops := map[string]func() error{
		"PutObject": func() error {
			_, err := f.s.PutObject(f.ctx, alice, "absent", "k", bytes.NewReader(nil), s3.PutOptions{})
			return err
		},
		"GetObject": func() error {
			_, rc, err := f.s.GetObject(f.ctx, alice, "absent", "k")
			if rc != nil {
				rc.Close()
			}
			return err
		},
		"HeadObject": func() error {
			_, err := f.s.HeadObject(f.ctx, alice, "absent", "k")
			return err
		},
		"DeleteObject": func() error { return f.s.DeleteObject(f.ctx, alice, "absent", "k") },
		"CopyObjectSource": func() error {
			_, err := f.s.CopyObject(f.ctx, alice, "absent", "k", "present", "k2", s3.CopyOptions{})
			return err
		},
		"CopyObjectDestination": func() error {
			_, err := f.s.CopyObject(f.ctx, alice, "present", "k", "absent", "k", s3.CopyOptions{})
			return err
		},
		"ListObjects": func() error {
			_, err := f.s.ListObjects(f.ctx, alice, "absent", s3.ListOptions{MaxKeys: 1000})
			return err
		},
		"CreateMultipartUpload": func() error {
			_, err := f.s.CreateMultipartUpload(f.ctx, alice, "absent", "k", s3.PutOptions{})
			return err
		},
		"ListMultipartUploads": func() error {
			_, err := f.s.ListMultipartUploads(f.ctx, alice, "absent", s3.ListUploadsOptions{MaxUploads: 1000})
			return err
		},
	}
	for name, op := range ops {
		t.Run(name, func(t *testing.T) { wantCode(t, op(), s3.ErrNoSuchBucket) })
	}
	f.wantMissing(alice, "present", "k2")
}
