package catalog

import (
	"errors"
	"fmt"
	"testing"

	"github.com/d3s/d3s/catalog/internal/entry"
)

// testRun encodes entries (in key order) as a run blob.
func testRun(t *testing.T, entries ...*Entry) ([]byte, runRef) {
	t.Helper()
	var w runWriter
	for _, e := range entries {
		raw, err := e.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		w.add(raw, e)
	}
	return w.finish()
}

func entryAt(key string, wall int64, writer string, marker bool) *Entry {
	return &Entry{Key: key, ETag: fmt.Sprintf("%s@%d", key, wall), Time: Time{Wall: wall}, Writer: writer, DeleteMarker: marker}
}

func TestRunRoundTripAndTamper(t *testing.T) {
	data, ref := testRun(t, entryAt("a", 1, "n", false), entryAt("b/c", 2, "n", true), entryAt("zz", 3, "n", false))
	if ref.entries != 3 || ref.bytes != uint64(len(data)) || ref.deletes != 1 || ref.lastDelete != 2 {
		t.Fatalf("ref = %+v for %d bytes", ref, len(data))
	}
	var keys []string
	markers := 0
	err := decodeRun(ref.id, data, func(es []*Entry) error {
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
		{"tampered byte", ref.id, flip(len(data) - 1), ErrBadSnapshot},
		{"truncated", ref.id, data[:len(data)-3], ErrBadSnapshot},
		{"other ID", snapshotID([]byte("x")), data, ErrBadSnapshot},
		{"bad magic, matching ID", snapshotID(flip(0)), flip(0), ErrBadSnapshot},
		{"truncated, matching ID", snapshotID(data[:len(data)-3]), data[:len(data)-3], ErrBadSnapshot},
		{"keys out of order, matching ID", snapshotID(unsorted), unsorted, ErrBadSnapshot},
		{"manifest as run", snapshotID(manifest{}.encode()), manifest{}.encode(), ErrBadSnapshot},
		{"future version", snapshotID(future), future, ErrUnknownVersion},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := decodeRun(tc.id, tc.data, func([]*Entry) error { return nil })
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
	m := manifest{runs: []runRef{r1, r2, r3}, horizon: 5}
	data := m.encode()
	got, err := decodeManifest(snapshotID(data), data)
	if err != nil || len(got.runs) != 3 || !got.has(r2.id) || got.runs[1].entries != 2 || got.runs[0].bytes != r1.bytes ||
		got.horizon != 5 || got.runs[2].deletes != 2 || got.runs[2].lastDelete != 9 || got.runs[0].deletes != 0 {
		t.Fatalf("decode = %+v, %v", got, err)
	}
	// A version 2 manifest (no horizon, no marker counts) still decodes.
	v2 := entry.Encoder{}
	v2.Raw([]byte(manifestMagic))
	v2.Byte(2)
	v2.Uvarint(1)
	v2.Raw(r3.id)
	v2.Uvarint(r3.entries)
	v2.Uvarint(r3.bytes)
	if got, err := decodeManifest(snapshotID(v2.B), v2.B); err != nil || len(got.runs) != 1 || got.runs[0].entries != 3 || got.runs[0].deletes != 0 || got.horizon != 0 {
		t.Fatalf("decode version 2 = %+v, %v", got, err)
	}
	trunc := data[:len(data)-1]
	tooMany := manifest{runs: make([]runRef, maxManifestRuns+1)}
	for i := range tooMany.runs {
		tooMany.runs[i] = r1
	}
	big := tooMany.encode()
	for name, d := range map[string][]byte{"truncated": trunc, "too many runs": big} {
		if _, err := decodeManifest(snapshotID(d), d); !errors.Is(err, ErrBadSnapshot) {
			t.Errorf("%s: err = %v, want ErrBadSnapshot", name, err)
		}
	}
	if _, err := decodeManifest(snapshotID([]byte("x")), data); !errors.Is(err, ErrBadSnapshot) {
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
	var readers []*runReader
	for _, r := range []struct {
		data []byte
		ref  runRef
	}{{old, oldRef}, {mid, midRef}, {newer, newRef}} {
		rd, err := openRun(r.ref.id, r.data)
		if err != nil {
			t.Fatal(err)
		}
		readers = append(readers, rd)
	}
	w, err := mergeReaders(readers, Time{Wall: 4}, Time{})
	if err != nil {
		t.Fatal(err)
	}
	data, ref := w.finish()
	got := map[string]*Entry{}
	var order []string
	err = decodeRun(ref.id, data, func(es []*Entry) error {
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
