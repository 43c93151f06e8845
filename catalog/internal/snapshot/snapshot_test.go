package snapshot

import (
	"errors"
	"fmt"
	"testing"

	"github.com/d3s/d3s/catalog/internal/entry"
)

// testRun encodes entries (in key order) as a run blob.
func testRun(t *testing.T, entries ...*entry.Entry) ([]byte, RunRef) {
	t.Helper()
	var w RunWriter
	for _, e := range entries {
		raw, err := e.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		w.Add(raw, e)
	}
	return w.Finish()
}

func entryAt(key string, wall int64, writer string, marker bool) *entry.Entry {
	return &entry.Entry{Key: key, ETag: fmt.Sprintf("%s@%d", key, wall), Time: entry.Time{Wall: wall}, Writer: writer, DeleteMarker: marker}
}

func TestRunRoundTripAndTamper(t *testing.T) {
	data, ref := testRun(t, entryAt("a", 1, "n", false), entryAt("b/c", 2, "n", true), entryAt("zz", 3, "n", false))
	if ref.Entries != 3 || ref.Bytes != uint64(len(data)) || ref.Deletes != 1 || ref.LastDelete != 2 {
		t.Fatalf("ref = %+v for %d bytes", ref, len(data))
	}
	var keys []string
	markers := 0
	err := DecodeRun(ref.ID, data, 256, func(es []*entry.Entry) error {
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
	unsorted, _ := testRun(t, entryAt("b", 1, "n", false), entryAt("a", 2, "n", false))
	future := append([]byte(nil), data...)
	future[len(runMagic)] = runVersion + 1
	cases := []struct {
		name string
		id   []byte
		data []byte
		want error
	}{
		{"tampered byte", ref.ID, flip(len(data) - 1), ErrBadSnapshot},
		{"truncated", ref.ID, data[:len(data)-3], ErrBadSnapshot},
		{"other ID", ID([]byte("x")), data, ErrBadSnapshot},
		{"bad magic, matching ID", ID(flip(0)), flip(0), ErrBadSnapshot},
		{"truncated, matching ID", ID(data[:len(data)-3]), data[:len(data)-3], ErrBadSnapshot},
		{"keys out of order, matching ID", ID(unsorted), unsorted, ErrBadSnapshot},
		{"manifest as run", ID(Manifest{}.Encode()), Manifest{}.Encode(), ErrBadSnapshot},
		{"future version", ID(future), future, entry.ErrUnknownVersion},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := DecodeRun(tc.id, tc.data, 256, func([]*entry.Entry) error { return nil })
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestManifestRoundTripAndTamper(t *testing.T) {
	_, r1 := testRun(t, entryAt("a", 1, "n", false))
	_, r2 := testRun(t, entryAt("b", 2, "n", false), entryAt("c", 3, "n", false))
	_, r3 := testRun(t, entryAt("d", 7, "n", true), entryAt("e", 9, "n", true), entryAt("f", 8, "n", false))
	m := Manifest{Runs: []RunRef{r1, r2, r3}, Horizon: 5}
	data := m.Encode()
	got, err := DecodeManifest(ID(data), data)
	if err != nil || len(got.Runs) != 3 || !got.Has(r2.ID) || got.Runs[1].Entries != 2 || got.Runs[0].Bytes != r1.Bytes ||
		got.Horizon != 5 || got.Runs[2].Deletes != 2 || got.Runs[2].LastDelete != 9 || got.Runs[0].Deletes != 0 {
		t.Fatalf("decode = %+v, %v", got, err)
	}
	// A version 2 manifest (no horizon, no marker counts) still decodes.
	v2 := entry.Encoder{}
	v2.Raw([]byte(manifestMagic))
	v2.Byte(2)
	v2.Uvarint(1)
	v2.Raw(r3.ID)
	v2.Uvarint(r3.Entries)
	v2.Uvarint(r3.Bytes)
	if got, err := DecodeManifest(ID(v2.B), v2.B); err != nil || len(got.Runs) != 1 || got.Runs[0].Entries != 3 || got.Runs[0].Deletes != 0 || got.Horizon != 0 {
		t.Fatalf("decode version 2 = %+v, %v", got, err)
	}
	trunc := data[:len(data)-1]
	tooMany := Manifest{Runs: make([]RunRef, maxManifestRuns+1)}
	for i := range tooMany.Runs {
		tooMany.Runs[i] = r1
	}
	big := tooMany.Encode()
	for name, d := range map[string][]byte{"truncated": trunc, "too many runs": big} {
		if _, err := DecodeManifest(ID(d), d); !errors.Is(err, ErrBadSnapshot) {
			t.Errorf("%s: err = %v, want ErrBadSnapshot", name, err)
		}
	}
	if _, err := DecodeManifest(ID([]byte("x")), data); !errors.Is(err, ErrBadSnapshot) {
		t.Errorf("other ID: err = %v", err)
	}
}

// TestMergeRunsNewestWins merges overlapping runs: per key the newest
// entry by (Time, Writer) survives, markers included, and entries not
// newer than the bucket's deletion are dropped.
func TestMergeRunsNewestWins(t *testing.T) {
	old, oldRef := testRun(t, entryAt("a", 10, "n1", false), entryAt("b", 10, "n1", false), entryAt("c", 3, "n1", false), entryAt("d", 20, "n1", false))
	mid, midRef := testRun(t, entryAt("a", 11, "n2", true), entryAt("b", 10, "n2", false), entryAt("e", 30, "n2", false))
	newer, newRef := testRun(t, entryAt("a", 5, "n3", false), entryAt("f", 40, "n3", false))
	var readers []*RunReader
	for _, r := range []struct {
		data []byte
		ref  RunRef
	}{{old, oldRef}, {mid, midRef}, {newer, newRef}} {
		rd, err := OpenRun(r.ref.ID, r.data)
		if err != nil {
			t.Fatal(err)
		}
		readers = append(readers, rd)
	}
	w, err := MergeReaders(readers, entry.Time{Wall: 4}, entry.Time{})
	if err != nil {
		t.Fatal(err)
	}
	data, ref := w.Finish()
	got := map[string]*entry.Entry{}
	var order []string
	err = DecodeRun(ref.ID, data, 256, func(es []*entry.Entry) error {
		for _, e := range es {
			got[e.Key] = e
			order = append(order, e.Key)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		key    string
		writer string
		marker bool
	}{{"a", "n2", true}, {"b", "n2", false}, {"d", "n1", false}, {"e", "n2", false}, {"f", "n3", false}}
	if len(order) != len(want) {
		t.Fatalf("merged keys %q, want %d keys", order, len(want))
	}
	for i, w := range want {
		e := got[w.key]
		if order[i] != w.key || e.Writer != w.writer || e.DeleteMarker != w.marker {
			t.Errorf("key %s: %+v, want writer %s marker %t", w.key, e, w.writer, w.marker)
		}
	}
}
