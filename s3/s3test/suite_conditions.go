package s3test

import (
	"bytes"
	"testing"

	"github.com/d3s/d3s/s3"
)

func testConditions(t *testing.T, newStore func(t *testing.T) s3.ObjectStore) {
	f := newFixture(t, newStore)
	f.bucket(alice, "cond")
	old := []byte("existing version")
	etag := md5Hex(old)
	for _, tc := range []struct {
		name                 string
		exists               bool
		ifMatch, ifNoneMatch string
		want                 s3.Code // "" for success
	}{
		{"IfNoneMatchStarOnMissing", false, "", "*", ""},
		{"IfNoneMatchStarOnExisting", true, "", "*", s3.ErrPreconditionFailed},
		{"IfMatchOnMissing", false, etag, "", s3.ErrNoSuchKey},
		{"IfMatchStarOnMissing", false, "*", "", s3.ErrNoSuchKey},
		{"IfMatchStarOnExisting", true, "*", "", ""},
		{"IfMatchWrongETag", true, md5Hex([]byte("other")), "", s3.ErrPreconditionFailed},
		{"IfMatchRightETag", true, etag, "", ""},
		{"IfMatchRightQuotedETag", true, `"` + etag + `"`, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := f.with(t)
			key := "cond-" + tc.name
			if tc.exists {
				f.put(alice, "cond", key, old, s3.PutOptions{})
			}
			data := []byte("new version")
			_, err := f.s.PutObject(f.ctx, alice, "cond", key, bytes.NewReader(data), s3.PutOptions{
				Size: int64(len(data)), IfMatch: tc.ifMatch, IfNoneMatch: tc.ifNoneMatch,
			})
			switch {
			case tc.want == "":
				if err != nil {
					t.Fatalf("PutObject: %v", err)
				}
				f.wantBody(alice, "cond", key, data)
			default:
				wantCode(t, err, tc.want)
				if tc.exists {
					f.wantBody(alice, "cond", key, old)
				} else {
					f.wantMissing(alice, "cond", key)
				}
			}
		})
	}
}
