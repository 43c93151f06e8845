package swarm

import (
	"github.com/d3s/d3s/swarm/internal/infodict"

	"github.com/d3s/d3s/swarm/internal/onepass"

	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"errors"
	"io"
	"os"
	"testing"
	"testing/iotest"
)

func TestPutRoundTrip(t *testing.T) {
	s := newSwarm(t)
	const pl = infodict.MinPieceLength
	sizes := []struct {
		name string
		size int
		file bool
	}{
		{"empty", 0, false},
		{"one byte", 1, false},
		{"inline max", DefaultInlineMax, false},
		{"inline max+1", DefaultInlineMax + 1, true},
		{"piece-1", pl - 1, true},
		{"piece", pl, true},
		{"piece+1", pl + 1, true},
		{"two pieces+1", 2*pl + 1, true},
		{"chunk+1", onepass.ChunkSize + 1, true},
		{"10 MiB", 10 << 20, true},
	}
	for i, tc := range sizes {
		t.Run(tc.name, func(t *testing.T) {
			b := randBytes(uint64(i), tc.size)
			obj := mustPut(t, s, b)
			if got := readAll(t, s, obj.ID); !bytes.Equal(got, b) {
				t.Fatalf("read back %d bytes, want %d equal bytes", len(got), len(b))
			}
			st, err := s.Stat(t.Context(), obj.ID)
			if err != nil {
				t.Fatalf("Stat: %v", err)
			}
			want := Object{ID: obj.ID, Size: int64(tc.size), PieceLength: infodict.PieceLength(int64(tc.size)), MD5: md5.Sum(b), SHA256: sha256.Sum256(b)}
			if st != want || obj != want {
				t.Fatalf("Stat = %+v, Put = %+v, want %+v", st, obj, want)
			}
			r, err := s.Open(t.Context(), obj.ID)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			defer r.Close()
			got, err := io.ReadAll(r)
			if err != nil || !bytes.Equal(got, b) {
				t.Fatalf("read back %d bytes, err %v; want the %d bytes put", len(got), err, len(b))
			}
			if _, err := os.Stat(s.data.objPath(obj.ID)); (err == nil) != tc.file {
				t.Errorf("object file exists: %v, want %v", err == nil, tc.file)
			}
		})
	}
}

func TestPutDedupAndRelease(t *testing.T) {
	for _, size := range []int{100, 100 << 10} {
		s := newSwarm(t)
		b := randBytes(7, size)
		a, c := mustPut(t, s, b), mustPut(t, s, b)
		if a.ID != c.ID {
			t.Fatalf("size %d: same bytes got IDs %s and %s", size, a.ID, c.ID)
		}
		if n := len(s.dataFiles(t)); n > 1 {
			t.Fatalf("size %d: %d data files for one content, want at most 1", size, n)
		}
		if err := s.Release(t.Context(), a.ID); err != nil {
			t.Fatalf("Release: %v", err)
		}
		if got := readAll(t, s, a.ID); !bytes.Equal(got, b) {
			t.Fatalf("size %d: bytes changed after releasing one of two references", size)
		}
		if err := s.Release(t.Context(), a.ID); err != nil {
			t.Fatalf("Release: %v", err)
		}
		if _, err := s.Stat(t.Context(), a.ID); !errors.Is(err, ErrNotFound) {
			t.Fatalf("Stat after last Release: %v, want ErrNotFound", err)
		}
		if files := s.dataFiles(t); len(files) != 0 {
			t.Fatalf("files left after last Release: %v", files)
		}
		if err := s.Release(t.Context(), a.ID); !errors.Is(err, ErrNotFound) {
			t.Fatalf("Release of a deleted object: %v, want ErrNotFound", err)
		}
	}
}

func TestRefAddsAReference(t *testing.T) {
	s := newSwarm(t)
	obj := mustPut(t, s, randBytes(3, 50<<10))
	if err := s.Ref(t.Context(), obj.ID); err != nil {
		t.Fatalf("Ref: %v", err)
	}
	for range 2 {
		if _, err := s.Stat(t.Context(), obj.ID); err != nil {
			t.Fatalf("Stat while referenced: %v", err)
		}
		if err := s.Release(t.Context(), obj.ID); err != nil {
			t.Fatalf("Release: %v", err)
		}
	}
	if _, err := s.Stat(t.Context(), obj.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Stat after releases: %v, want ErrNotFound", err)
	}
	if err := s.Ref(t.Context(), obj.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Ref of missing object: %v, want ErrNotFound", err)
	}
}

func TestPutKeepsNothingOnError(t *testing.T) {
	boom := errors.New("boom")
	for _, size := range []int{10, 40 << 10, 3 << 20} {
		b := randBytes(11, size)
		sum, md := sha256.Sum256(b), md5.Sum(b)
		bad := bytes.Repeat([]byte{1}, 32)
		cases := []struct {
			name string
			r    io.Reader
			size int64
			want Expect
			err  error
		}{
			{"bad MD5", bytes.NewReader(b), int64(size), Expect{MD5: bad[:16], SHA256: sum[:]}, ErrMD5Mismatch},
			{"bad SHA-256", bytes.NewReader(b), int64(size), Expect{MD5: md[:], SHA256: bad}, ErrSHA256Mismatch},
			{"short body", bytes.NewReader(b[:size-1]), int64(size), Expect{}, ErrSizeMismatch},
			{"long body", bytes.NewReader(b), int64(size - 1), Expect{}, ErrSizeMismatch},
			{"negative size", bytes.NewReader(b), -1, Expect{}, ErrSizeMismatch},
			{"reader error", io.MultiReader(bytes.NewReader(b[:size/2]), iotest.ErrReader(boom)), int64(size), Expect{}, boom},
		}
		for _, tc := range cases {
			s := newSwarm(t)
			_, err := s.Put(t.Context(), tc.r, tc.size, tc.want)
			if !errors.Is(err, tc.err) {
				t.Errorf("size %d %s: Put error %v, want %v", size, tc.name, err, tc.err)
			}
			if files := s.dataFiles(t); len(files) != 0 {
				t.Errorf("size %d %s: files kept: %v", size, tc.name, files)
			}
		}
	}
}

func TestPutCanceled(t *testing.T) {
	s := newSwarm(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	b := randBytes(5, 4<<20)
	if _, err := s.Put(ctx, bytes.NewReader(b), int64(len(b)), Expect{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Put with canceled context: %v, want context.Canceled", err)
	}
	if files := s.dataFiles(t); len(files) != 0 {
		t.Fatalf("files kept: %v", files)
	}
}

func TestReopenKeepsObjectsAndDropsTemps(t *testing.T) {
	dir := t.TempDir()
	s := openSwarm(t, dir, 0)
	small, big := randBytes(1, 300), randBytes(2, 1<<20+5)
	a, b := mustPut(t, s, small), mustPut(t, s, big)
	c, err := s.Concat(t.Context(), []ID{b.ID, a.ID})
	if err != nil {
		t.Fatalf("Concat: %v", err)
	}
	s.close(t)
	stray := dir + "/data/tmp/put-123"
	if err := os.WriteFile(stray, []byte("half an object"), 0o644); err != nil {
		t.Fatal(err)
	}
	s = openSwarm(t, dir, 0)
	if fileExists(stray) {
		t.Errorf("temp file left by a crash survived New")
	}
	for _, c := range []struct {
		id   ID
		want []byte
	}{{a.ID, small}, {b.ID, big}, {c.ID, append(append([]byte{}, big...), small...)}} {
		if got := readAll(t, s, c.id); !bytes.Equal(got, c.want) {
			t.Errorf("%s: bytes differ after reopen", c.id)
		}
	}
}

func TestClosedSwarmRefusesPuts(t *testing.T) {
	s := newSwarm(t)
	sw := s.Swarm
	s.close(t)
	for _, size := range []int{1, 1 << 20} {
		b := randBytes(1, size)
		if _, err := sw.Put(context.Background(), bytes.NewReader(b), int64(size), Expect{}); !errors.Is(err, ErrClosed) {
			t.Fatalf("Put of %d bytes after Close: %v, want ErrClosed", size, err)
		}
	}
}
