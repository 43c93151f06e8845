package s3_test

import (
	"testing"

	"github.com/d3s/d3s/s3"
)

func TestMultipartETag(t *testing.T) {
	got, err := s3.MultipartETag([]string{"d41d8cd98f00b204e9800998ecf8427e", "0cc175b9c0f1b6a831c399e269772661"})
	if want := "68083ea43d0307eecfa2b4749f19df15-2"; err != nil || got != want {
		t.Fatalf("MultipartETag = %q, %v; want %q", got, err, want)
	}
	if _, err := s3.MultipartETag([]string{"not-an-md5"}); err == nil {
		t.Fatal("MultipartETag accepted a part ETag that is not an MD5")
	}
}
