package entry

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
	"time"
)

func TestEntryRoundTrip(t *testing.T) {
	full := Entry{
		Key:       "a/\x00b\xff",
		VersionID: "0001",
		Size:      5 << 40,
		ETag:      "d41d8cd98f00b204e9800998ecf8427e-3",
		Metadata: Metadata{
			ContentType: "text/plain", ContentEncoding: "gzip",
			ContentDisposition: "attachment", ContentLanguage: "en",
			CacheControl: "no-cache", Expires: "Thu, 01 Dec 1994 16:00:00 GMT",
			User: map[string]string{"z": "1", "a": "", "m": "\x00"},
		},
		Checksum:     Checksum{Algorithm: "CRC32C", Value: "AAAAAA=="},
		PartsCount:   3,
		Time:         Time{Wall: -5, Logical: 7},
		Writer:       "node",
		DeleteMarker: true,
	}
	full.InfoHash[19] = 0xff
	full.SHA256[0] = 1
	for name, e := range map[string]Entry{"zero": {}, "full": full} {
		t.Run(name, func(t *testing.T) {
			b, err := e.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			var got Entry
			if err := got.UnmarshalBinary(b); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, e) {
				t.Fatalf("round trip:\n got %+v\nwant %+v", got, e)
			}
			again, _ := got.MarshalBinary()
			if !bytes.Equal(again, b) {
				t.Fatal("encoding is not deterministic")
			}
		})
	}
}

func TestEntryDecodeErrors(t *testing.T) {
	good, _ := (&Entry{Key: "k", Metadata: Metadata{User: map[string]string{"a": "b"}}}).MarshalBinary()
	tests := []struct {
		name string
		b    []byte
		want error
	}{
		{"empty", nil, ErrCorrupt},
		{"version", append([]byte{9}, good[1:]...), ErrUnknownVersion},
		{"truncated", good[:len(good)-1], ErrCorrupt},
		{"trailing", append(append([]byte(nil), good...), 0), ErrCorrupt},
		{"huge string", []byte{1, 0, 0xff, 0xff, 0xff, 0x0f}, ErrCorrupt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var e Entry
			if err := e.UnmarshalBinary(tt.b); !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
		})
	}
}

func TestClockMonotonic(t *testing.T) {
	c := NewClock(func() time.Time { return time.Unix(100, 0) })
	a := c.Now()
	b := c.Now()
	if b.Compare(a) <= 0 {
		t.Fatalf("%v not after %v", b, a)
	}
	c.Observe(Time{Wall: time.Unix(200, 0).UnixNano(), Logical: 3})
	if d := c.Now(); d.Wall != time.Unix(200, 0).UnixNano() || d.Logical != 4 {
		t.Fatalf("after observe: %+v", d)
	}
}
