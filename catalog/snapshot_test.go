package catalog

import (
	"errors"
	"testing"
)

func TestSnapshotRoundTripAndTamper(t *testing.T) {
	c := openCatalog(t)
	for _, k := range []string{"a", "b/c", "zz"} {
		putKey(t, c, k)
	}
	if _, err := c.Delete(t.Context(), "u", "b", "b/c"); err != nil {
		t.Fatal(err)
	}
	data, count, err := c.encodeSnapshot("u", "b")
	if err != nil || count != 3 {
		t.Fatalf("encode: %d entries, %v", count, err)
	}
	var keys []string
	markers := 0
	err = decodeSnapshot(snapshotID(data), data, func(es []*Entry) error {
		for _, e := range es {
			keys = append(keys, e.Key)
			if e.DeleteMarker {
				markers++
			}
		}
		return nil
	})
	if err != nil || len(keys) != 3 || keys[0] != "a" || keys[2] != "zz" || markers != 1 {
		t.Fatalf("decode: %q, %d markers, %v", keys, markers, err)
	}
	flip := func(i int) []byte {
		b := append([]byte(nil), data...)
		b[i] ^= 1
		return b
	}
	id := snapshotID(data)
	cases := []struct {
		name string
		id   []byte
		data []byte
		want error
	}{
		{"tampered byte", id, flip(len(data) - 1), ErrBadSnapshot},
		{"truncated", id, data[:len(data)-3], ErrBadSnapshot},
		{"other ID", snapshotID([]byte("x")), data, ErrBadSnapshot},
		{"bad magic, matching ID", snapshotID(flip(0)), flip(0), ErrBadSnapshot},
		{"truncated, matching ID", snapshotID(data[:len(data)-3]), data[:len(data)-3], ErrBadSnapshot},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := decodeSnapshot(tc.id, tc.data, func([]*Entry) error { return nil })
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
}
