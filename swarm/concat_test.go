package swarm

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"io"
	"math/rand/v2"
	"testing"
)

func TestConcatRoundTrip(t *testing.T) {
	cases := []struct {
		name  string
		sizes []int
	}{
		{"files", []int{5 << 20, 5 << 20, 1 << 20}},
		{"mixed inline and files", []int{100, 70 << 10, 1, 3 << 20, 0, 4000}},
		{"one part", []int{2 << 20}},
		{"no parts", nil},
	}
	for ci, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newSwarm(t)
			var whole []byte
			var ids []ID
			for i, n := range tc.sizes {
				b := randBytes(uint64(100*ci+i), n)
				whole = append(whole, b...)
				ids = append(ids, mustPut(t, s, b).ID)
			}
			obj, err := s.Concat(t.Context(), ids)
			if err != nil {
				t.Fatalf("Concat: %v", err)
			}
			if obj.Size != int64(len(whole)) || obj.SHA256 != sha256.Sum256(whole) {
				t.Fatalf("Concat = size %d sha %x, want %d %x", obj.Size, obj.SHA256, len(whole), sha256.Sum256(whole))
			}
			if got := readAll(t, s, obj.ID); !bytes.Equal(got, whole) {
				t.Fatalf("concatenation read back differs")
			}
			checkRandomAccess(t, s, obj.ID, whole)
		})
	}
}

// checkRandomAccess compares Seek+Read and ReadAt at random offsets.
func checkRandomAccess(t *testing.T, s *testSwarm, id ID, want []byte) {
	t.Helper()
	r, err := s.Open(t.Context(), id)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer r.Close()
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		off := rng.IntN(len(want) + 1)
		n := rng.IntN(min(len(want)-off, 300<<10) + 1)
		if _, err := r.Seek(int64(off), io.SeekStart); err != nil {
			t.Fatalf("Seek %d: %v", off, err)
		}
		got := make([]byte, n)
		if _, err := io.ReadFull(r, got); err != nil {
			t.Fatalf("read %d at %d: %v", n, off, err)
		}
		if !bytes.Equal(got, want[off:off+n]) {
			t.Fatalf("Seek+Read %d bytes at %d differ", n, off)
		}
		if ra, ok := r.(io.ReaderAt); ok {
			if _, err := ra.ReadAt(got, int64(off)); err != nil && !(errors.Is(err, io.EOF) && off+n == len(want)) {
				t.Fatalf("ReadAt %d at %d: %v", n, off, err)
			}
			if !bytes.Equal(got, want[off:off+n]) {
				t.Fatalf("ReadAt %d bytes at %d differ", n, off)
			}
		}
	}
	if end, err := r.Seek(0, io.SeekEnd); err != nil || end != int64(len(want)) {
		t.Fatalf("Seek end = %d, %v; want %d", end, err, len(want))
	}
}

func TestConcatHoldsItsParts(t *testing.T) {
	s := newSwarm(t)
	a, b := randBytes(1, 1<<20), randBytes(2, 20<<10)
	pa, pb := mustPut(t, s, a), mustPut(t, s, b)
	obj, err := s.Concat(t.Context(), []ID{pa.ID, pb.ID, pa.ID})
	if err != nil {
		t.Fatalf("Concat: %v", err)
	}
	// The uploader's references go; the object still reads.
	for _, id := range []ID{pa.ID, pb.ID} {
		if err := s.Release(t.Context(), id); err != nil {
			t.Fatalf("Release part: %v", err)
		}
	}
	want := append(append(append([]byte{}, a...), b...), a...)
	if got := readAll(t, s, obj.ID); !bytes.Equal(got, want) {
		t.Fatalf("concat bytes differ after releasing the parts' own references")
	}
	if err := s.Release(t.Context(), obj.ID); err != nil {
		t.Fatalf("Release concat: %v", err)
	}
	for _, id := range []ID{obj.ID, pa.ID, pb.ID} {
		if _, err := s.Stat(t.Context(), id); !errors.Is(err, ErrNotFound) {
			t.Errorf("Stat %s after the last release: %v, want ErrNotFound", id, err)
		}
	}
	if files := s.dataFiles(t); len(files) != 0 {
		t.Fatalf("files left: %v", files)
	}
}

func TestConcatMissingPart(t *testing.T) {
	s := newSwarm(t)
	p := mustPut(t, s, randBytes(1, 50<<10))
	if _, err := s.Concat(t.Context(), []ID{p.ID, {1, 2, 3}}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Concat with a missing part: %v, want ErrNotFound", err)
	}
	if err := s.Release(t.Context(), p.ID); err != nil {
		t.Fatalf("Release: %v", err)
	}
	if _, err := s.Stat(t.Context(), p.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("failed Concat kept a reference on its part: %v", err)
	}
}
