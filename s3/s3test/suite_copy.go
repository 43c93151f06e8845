package s3test

import (
	"errors"
	"testing"

	"github.com/d3s/d3s/s3"
)

func testCopy(t *testing.T, newStore func(t *testing.T) s3.ObjectStore) {
	f := newFixture(t, newStore)
	f.bucket(alice, "src")
	f.bucket(alice, "dst")
	data := randomBytes(3, 70000)
	md := s3.Metadata{ContentType: "application/x-test", User: map[string]string{"origin": "src"}}
	src := f.put(alice, "src", "orig", data, s3.PutOptions{Metadata: md, Checksum: func() s3.Checksum { return crc32Checksum(data) }})

	for _, tc := range []struct{ name, bucket, key string }{
		{"SameBucket", "src", "copy"},
		{"OtherBucket", "dst", "a/copy"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := f.with(t)
			var seen s3.ObjectInfo
			info, err := f.s.CopyObject(f.ctx, alice, "src", "orig", tc.bucket, tc.key, s3.CopyOptions{
				Precondition: func(s s3.ObjectInfo) error { seen = s; return nil },
			})
			if err != nil {
				t.Fatalf("CopyObject: %v", err)
			}
			if seen.ETag != src.ETag || seen.Size != src.Size {
				t.Errorf("Precondition saw %+v, want the source %+v", seen, src)
			}
			got := f.wantBody(alice, tc.bucket, tc.key, data)
			for op, i := range map[string]s3.ObjectInfo{"CopyObject": info, "GetObject": got} {
				if i.Key != tc.key || i.ETag != src.ETag || i.SHA256 != src.SHA256 || !sameMetadata(i.Metadata, md) {
					t.Errorf("%s = %+v, want the source's ETag, SHA-256 and metadata under key %q", op, i, tc.key)
				}
			}
			f.wantBody(alice, "src", "orig", data)
		})
	}
	t.Run("OntoItselfNewMetadata", func(t *testing.T) {
		f := f.with(t)
		f.put(alice, "src", "self", data, s3.PutOptions{Metadata: md})
		newMD := s3.Metadata{ContentType: "text/plain", User: map[string]string{"edited": "yes"}}
		if _, err := f.s.CopyObject(f.ctx, alice, "src", "self", "src", "self", s3.CopyOptions{Metadata: &newMD}); err != nil {
			t.Fatalf("CopyObject onto itself: %v", err)
		}
		got := f.wantBody(alice, "src", "self", data)
		if !sameMetadata(got.Metadata, newMD) {
			t.Fatalf("metadata after self-copy = %+v, want %+v", got.Metadata, newMD)
		}
	})
	t.Run("PreconditionFails", func(t *testing.T) {
		f := f.with(t)
		refuse := errors.New("refused by the test")
		for _, perr := range []error{refuse, s3.ErrPreconditionFailed} {
			_, err := f.s.CopyObject(f.ctx, alice, "src", "orig", "dst", "refused", s3.CopyOptions{
				Precondition: func(s3.ObjectInfo) error { return perr },
			})
			if !errors.Is(err, perr) {
				t.Fatalf("CopyObject = %v, want the precondition's error %v", err, perr)
			}
			f.wantMissing(alice, "dst", "refused")
		}
	})
	t.Run("MissingSource", func(t *testing.T) {
		f := f.with(t)
		_, err := f.s.CopyObject(f.ctx, alice, "src", "nope", "dst", "nope-copy", s3.CopyOptions{})
		wantCode(t, err, s3.ErrNoSuchKey)
		f.wantMissing(alice, "dst", "nope-copy")
	})
	t.Run("DestinationConditions", func(t *testing.T) {
		f := f.with(t)
		other := []byte("occupied")
		f.put(alice, "dst", "occupied", other, s3.PutOptions{})
		_, err := f.s.CopyObject(f.ctx, alice, "src", "orig", "dst", "occupied", s3.CopyOptions{IfNoneMatch: "*"})
		wantCode(t, err, s3.ErrPreconditionFailed)
		_, err = f.s.CopyObject(f.ctx, alice, "src", "orig", "dst", "occupied", s3.CopyOptions{IfMatch: src.ETag})
		wantCode(t, err, s3.ErrPreconditionFailed)
		f.wantBody(alice, "dst", "occupied", other)
		_, err = f.s.CopyObject(f.ctx, alice, "src", "orig", "dst", "vacant", s3.CopyOptions{IfMatch: "*"})
		wantCode(t, err, s3.ErrNoSuchKey)
		if _, err := f.s.CopyObject(f.ctx, alice, "src", "orig", "dst", "occupied", s3.CopyOptions{IfMatch: md5Hex(other)}); err != nil {
			t.Fatalf("CopyObject with the right If-Match: %v", err)
		}
		f.wantBody(alice, "dst", "occupied", data)
	})
}
