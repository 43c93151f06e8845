package swarm

import (
	"github.com/d3s/d3s/swarm/internal/infodict"

	"github.com/d3s/d3s/swarm/internal/onepass"

	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/anacrolix/torrent/metainfo"
	"github.com/dgraph-io/badger/v4"
)

// corruptSwarm is a test swarm that records its OnCorrupt calls.
type corruptSwarm struct {
	*testSwarm
	mu      sync.Mutex
	reports []ID
}

func newCorruptSwarm(t testing.TB, inlineMax int64) *corruptSwarm {
	t.Helper()
	cs := &corruptSwarm{}
	dir := t.TempDir()
	db, err := badger.Open(BadgerOptions(dir + "/db"))
	if err != nil {
		t.Fatalf("open badger: %v", err)
	}
	s, err := New(Config{Dir: dir + "/data", DB: db, InlineMax: inlineMax, OnCorrupt: cs.report})
	if err != nil {
		db.Close()
		t.Fatalf("New: %v", err)
	}
	cs.testSwarm = &testSwarm{Swarm: s, dir: dir, db: db}
	t.Cleanup(func() { cs.close(t) })
	return cs
}

func (cs *corruptSwarm) report(id ID) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	cs.reports = append(cs.reports, id)
}

// reported returns how many times OnCorrupt named id.
func (cs *corruptSwarm) reported(id ID) int {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	n := 0
	for _, r := range cs.reports {
		if r == id {
			n++
		}
	}
	return n
}

// flipFile flips the byte at off of a stored file object.
func flipFile(t testing.TB, s *testSwarm, id ID, off int64) {
	t.Helper()
	f, err := os.OpenFile(s.data.objPath(id), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var b [1]byte
	if _, err := f.ReadAt(b[:], off); err != nil {
		t.Fatal(err)
	}
	b[0] ^= 0xff
	if _, err := f.WriteAt(b[:], off); err != nil {
		t.Fatal(err)
	}
}

// wantCorrupt fails unless err wraps ErrCorrupt and names piece i of id.
func wantCorrupt(t testing.TB, err error, id ID, i int64) {
	t.Helper()
	if !errors.Is(err, ErrCorrupt) {
		t.Fatalf("error %v, want ErrCorrupt", err)
	}
	if want := fmt.Sprintf("%s piece %d ", id, i); !strings.Contains(err.Error(), want) {
		t.Fatalf("error %q does not name %q", err, want)
	}
}

// readUntilError reads r to its end or first error with reads of n bytes.
func readUntilError(r io.Reader, n int) ([]byte, error) {
	var got []byte
	buf := make([]byte, n)
	for {
		k, err := r.Read(buf)
		got = append(got, buf[:k]...)
		if errors.Is(err, io.EOF) {
			return got, nil
		}
		if err != nil {
			return got, err
		}
	}
}

// TestOpenServesOnlyVerifiedPieces flips one byte in a stored file
// object and reads it sequentially, as a GET does: every byte before the
// damaged piece comes back, none of it or after it, and the read fails
// with ErrCorrupt naming that piece. Damage in the first piece read and
// in a piece the read-ahead loads are both covered.
func TestOpenServesOnlyVerifiedPieces(t *testing.T) {
	const size = 5<<20 + 333 // 16 KiB pieces: spans of 64 pieces
	cases := []struct {
		name string
		flip int64
		read int
	}{
		{"first piece", 100, 32 << 10},
		{"read ahead", 3<<20 + 5000, 32 << 10},
		{"last piece", size - 1, 7000},
		{"small reads", 40000, 512},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newCorruptSwarm(t, 0)
			data := randBytes(uint64(100+i), size)
			obj := mustPut(t, s.testSwarm, data)
			flipFile(t, s.testSwarm, obj.ID, tc.flip)
			r, err := s.Open(t.Context(), obj.ID)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			defer r.Close()
			got, err := readUntilError(r, tc.read)
			piece := tc.flip / obj.PieceLength
			wantCorrupt(t, err, obj.ID, piece)
			if int64(len(got)) != piece*obj.PieceLength || !bytes.Equal(got, data[:len(got)]) {
				t.Fatalf("read %d bytes before the error, want the %d bytes of the pieces before the damaged one", len(got), piece*obj.PieceLength)
			}
			// The error sticks without re-reading the piece.
			if _, err := r.Read(make([]byte, 10)); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("second read: %v, want ErrCorrupt", err)
			}
			if n := s.reported(obj.ID); n != 1 {
				t.Fatalf("OnCorrupt called %d times for %s, want 1", n, obj.ID)
			}
		})
	}
}

// TestOpenSeekAndReadAt reads ranges of an intact object (Range GETs,
// spanning pieces and spans) and of a damaged one: a range before the
// damage reads fine, a range over it stops at its first byte.
func TestOpenSeekAndReadAt(t *testing.T) {
	s := newCorruptSwarm(t, 0)
	data := randBytes(3, 3<<20+1234)
	obj := mustPut(t, s.testSwarm, data)
	r, err := s.Open(t.Context(), obj.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ranges := [][2]int64{{0, 1}, {16383, 2}, {1 << 20, 3 << 20}, {5, 70000}, {int64(len(data)) - 10, 10}, {2 << 20, 100}, {0, int64(len(data))}}
	for _, rg := range ranges {
		off, n := rg[0], min(rg[1], int64(len(data))-rg[0])
		if _, err := r.Seek(off, io.SeekStart); err != nil {
			t.Fatal(err)
		}
		got := make([]byte, n)
		if _, err := io.ReadFull(r, got); err != nil || !bytes.Equal(got, data[off:off+n]) {
			t.Fatalf("Seek %d, read %d: %v, equal %v", off, n, err, bytes.Equal(got, data[off:off+n]))
		}
		at := make([]byte, n)
		if k, err := r.(io.ReaderAt).ReadAt(at, off); k != int(n) || err != nil || !bytes.Equal(at, got) {
			t.Fatalf("ReadAt %d, %d: %d, %v", off, n, k, err)
		}
	}
	if pos, err := r.Seek(0, io.SeekEnd); pos != int64(len(data)) || err != nil {
		t.Fatalf("Seek end = %d, %v", pos, err)
	}
	if k, err := r.Read(make([]byte, 1)); k != 0 || err != io.EOF {
		t.Fatalf("read at end = %d, %v; want io.EOF", k, err)
	}

	flip := int64(2<<20 + 100)
	flipFile(t, s.testSwarm, obj.ID, flip)
	d, err := s.Open(t.Context(), obj.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	piece := flip / obj.PieceLength
	before := make([]byte, 1<<20)
	if k, err := d.(io.ReaderAt).ReadAt(before, piece*obj.PieceLength-int64(len(before))); k != len(before) || err != nil {
		t.Fatalf("ReadAt before the damage: %d, %v", k, err)
	}
	over := make([]byte, 100000)
	off := piece*obj.PieceLength - 5000
	k, err := d.(io.ReaderAt).ReadAt(over, off)
	wantCorrupt(t, err, obj.ID, piece)
	if k != 5000 || !bytes.Equal(over[:k], data[off:off+5000]) {
		t.Fatalf("ReadAt over the damage returned %d bytes, want the 5000 before it", k)
	}
	if _, err := d.Seek(flip, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Read(make([]byte, 1)); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("read at the damage: %v, want ErrCorrupt", err)
	}
}

// TestOpenCloseStopsReadAhead closes readers in the middle of a
// sequential read and checks that no read-ahead goroutine outlives them.
func TestOpenCloseStopsReadAhead(t *testing.T) {
	s := newSwarm(t)
	obj := mustPut(t, s, randBytes(4, 20<<20))
	started := false
	for i := range 5 {
		r, err := s.Open(t.Context(), obj.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.CopyN(io.Discard, r, int64(i+1)<<20); err != nil {
			t.Fatal(err)
		}
		started = started || aheadGoroutines() > 0
		if i%2 == 1 {
			r.Seek(int64(i)<<10, io.SeekStart) // stops the read-ahead
			r.Read(make([]byte, 10))
		}
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := r.Read(make([]byte, 1)); !errors.Is(err, os.ErrClosed) {
			t.Fatalf("read after Close: %v, want os.ErrClosed", err)
		}
	}
	if !started {
		t.Fatal("sequential reads started no read-ahead")
	}
	// Close waits for the goroutines: none may be left at all.
	if n := aheadGoroutines(); n != 0 {
		t.Fatalf("%d read-ahead goroutines left after closing the readers", n)
	}
}

// aheadGoroutines counts the goroutines running read-ahead code.
func aheadGoroutines() int {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	n := 0
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "verified.startReadAhead") || strings.Contains(g, "verified.(*readAhead).dispatch") {
			n++
		}
	}
	return n
}

// TestOpenConcatVerified damages a part of a Concat object: reading the
// Concat object stops at the damaged piece of its own torrent.
func TestOpenConcatVerified(t *testing.T) {
	s := newCorruptSwarm(t, 0)
	p1, p2 := randBytes(5, 1<<20+17), randBytes(6, 2<<20)
	a, b := mustPut(t, s.testSwarm, p1), mustPut(t, s.testSwarm, p2)
	obj, err := s.Concat(t.Context(), []ID{a.ID, b.ID})
	if err != nil {
		t.Fatal(err)
	}
	flipFile(t, s.testSwarm, b.ID, 1<<20)
	r, err := s.Open(t.Context(), obj.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	got, err := readUntilError(r, 32<<10)
	piece := (int64(len(p1)) + 1<<20) / obj.PieceLength
	wantCorrupt(t, err, obj.ID, piece)
	if int64(len(got)) != piece*obj.PieceLength || !bytes.Equal(got, append(p1, p2...)[:len(got)]) {
		t.Fatalf("read %d bytes, want %d", len(got), piece*obj.PieceLength)
	}
	if s.reported(obj.ID) != 1 {
		t.Fatalf("OnCorrupt not called for the Concat object")
	}
}

// TestInlineVerified damages an inline object's value: Open refuses it.
func TestInlineVerified(t *testing.T) {
	s := newCorruptSwarm(t, 0)
	data := randBytes(7, 3000)
	obj := mustPut(t, s.testSwarm, data)
	if got := readAll(t, s.testSwarm, obj.ID); !bytes.Equal(got, data) {
		t.Fatal("inline object read back wrong")
	}
	damageInline(t, s.testSwarm, obj.ID, 2999)
	if _, err := s.Open(t.Context(), obj.ID); err == nil {
		t.Fatal("Open of a damaged inline object succeeded")
	} else {
		wantCorrupt(t, err, obj.ID, 0)
	}
	if s.reported(obj.ID) != 1 {
		t.Fatal("OnCorrupt not called")
	}
}

// damageInline flips byte off of an inline object's value.
func damageInline(t testing.TB, s *testSwarm, id ID, off int) {
	t.Helper()
	b, err := s.getValue(prefixInline, id)
	if err != nil {
		t.Fatal(err)
	}
	b[off] ^= 0xff
	if err := s.db.Update(func(txn *badger.Txn) error { return txn.Set(key(prefixInline, id), b) }); err != nil {
		t.Fatal(err)
	}
}

// TestCheckPieces is the verify function on its own: whole objects held
// in memory (an inline value), intact, damaged, short and long.
func TestCheckPieces(t *testing.T) {
	s := newCorruptSwarm(t, 0)
	data := randBytes(8, 40000) // three 16 KiB pieces
	pl := infodict.PieceLength(int64(len(data)))
	d := onepass.HashAll(data, pl)
	id := infoID(infodict.Encode(int64(len(data)), pl, d.Pieces, d.SHA256))
	ps := s.newSource(id, int64(len(data)), pl, d.Pieces)
	flipped := bytes.Clone(data)
	flipped[pl+1] ^= 1
	cases := []struct {
		name  string
		b     []byte
		piece int64 // -1: no error
	}{
		{"intact", data, -1},
		{"damaged", flipped, 1},
		{"short", data[:len(data)-1], 2},
		{"long", append(bytes.Clone(data), 0), 2},
	}
	for _, tc := range cases {
		err := ps.CheckAll(tc.b)
		if tc.piece < 0 {
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
			}
			continue
		}
		if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), fmt.Sprintf("piece %d ", tc.piece)) {
			t.Errorf("%s: error %v, want ErrCorrupt at piece %d", tc.name, err, tc.piece)
		}
	}
}

// TestHeldPieceNeverServesDamage reads a damaged object through the
// engine's storage, as a peer request does: the damaged piece fails and
// is reported incomplete, the others serve their bytes.
func TestHeldPieceNeverServesDamage(t *testing.T) {
	s := newCorruptSwarm(t, 0)
	data := randBytes(9, 1<<20)
	obj := mustPut(t, s.testSwarm, data)
	flipFile(t, s.testSwarm, obj.ID, 3*obj.PieceLength+7)
	info := loadInfo(t, s.Swarm, obj.ID)
	ti, err := store{s.Swarm}.OpenTorrent(context.Background(), &info, metainfo.Hash(obj.ID))
	if err != nil {
		t.Fatal(err)
	}
	defer ti.Close()
	for i := range info.NumPieces() {
		p := ti.Piece(info.Piece(i))
		chunk := make([]byte, 16<<10)
		for range 2 { // the second read finds the cached result
			n, err := p.ReadAt(chunk, 100)
			c := p.Completion()
			if i == 3 {
				wantCorrupt(t, err, obj.ID, 3)
				if n != 0 || c.Complete {
					t.Fatalf("damaged piece: read %d bytes, complete %v", n, c.Complete)
				}
				continue
			}
			off := int64(i)*obj.PieceLength + 100
			if err != nil || int64(n) != obj.PieceLength-100 || !bytes.Equal(chunk[:n], data[off:off+int64(n)]) || !c.Complete {
				t.Fatalf("piece %d: read %d, %v, complete %v", i, n, err, c.Complete)
			}
		}
	}
	if n := s.reported(obj.ID); n != 1 {
		t.Fatalf("OnCorrupt called %d times, want once per load", n)
	}
}
