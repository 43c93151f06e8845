//go:build linux

package pageout

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestPageOutDropsSettledTables maps files the way badger does (shared,
// read-only), reads them so that they are resident, and checks that a
// pass drops a settled table's pages, leaves a table still being written
// and files outside the database alone, that the bytes read back the same
// afterwards, and that a table is paged out again only after
// pageOutRepeat.
func TestPageOutDropsSettledTables(t *testing.T) {
	const size = 4 << 20
	dir, other := t.TempDir(), t.TempDir()
	now := time.Now()
	old := now.Add(-2 * pageOutSettle)
	settledTable := mapFile(t, filepath.Join(dir, "000001.sst"), size, old)
	freshTable := mapFile(t, filepath.Join(dir, "000002.sst"), size, now)
	outside := mapFile(t, filepath.Join(other, "000003.sst"), size, old)
	for _, m := range []mappedFile{settledTable, freshTable, outside} {
		if rss := mappedRSS(t, m.path); rss < size/2 {
			t.Fatalf("%s: %d bytes resident after reading it, want about %d", m.path, rss, size)
		}
	}

	p := newPager(dir)
	var advised []uintptr
	p.advise = func(start, length uintptr) error {
		advised = append(advised, start)
		return pageOut(start, length)
	}
	if err := p.pass(now, false); errors.Is(err, errPageOutUnsupported) {
		t.Skip(err)
	} else if err != nil {
		t.Fatal(err)
	}
	if rss := mappedRSS(t, settledTable.path); rss > size/4 {
		t.Errorf("settled table: %d bytes still resident after a pass", rss)
	}
	for _, m := range []mappedFile{freshTable, outside} {
		if rss := mappedRSS(t, m.path); rss < size/2 {
			t.Errorf("%s: paged out (%d bytes resident), want it left alone", m.path, rss)
		}
	}
	if !bytes.Equal(settledTable.data, settledTable.want) {
		t.Error("settled table reads back different bytes after paging out")
	}

	// What reads bring back stays until pageOutRepeat has passed; then
	// the table is paged out again.
	if err := p.pass(now.Add(pageOutInterval), false); err != nil {
		t.Fatal(err)
	}
	if len(advised) != 2 {
		t.Errorf("%d madvise calls over two passes %v apart, want 2 (the settled table once, then the fresh one, settled by now)", len(advised), pageOutInterval)
	}
	if err := p.pass(now.Add(pageOutRepeat), false); err != nil {
		t.Fatal(err)
	}
	if len(advised) != 3 {
		t.Errorf("%d madvise calls after a pass %v later, want 3 (the first table paged out again, the second not yet)", len(advised), pageOutRepeat)
	}
}

// TestPageOutWhileBusy: while S3 requests arrive a pass leaves the
// memtable log and young tables alone; the next quiet pass takes them.
func TestPageOutWhileBusy(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	young := now.Add(-2 * pageOutSettle)
	mapFile(t, filepath.Join(dir, "000001.sst"), 64<<10, young)
	mapFile(t, filepath.Join(dir, "00002.mem"), 64<<10, young)
	mapFile(t, filepath.Join(dir, "000003.sst"), 64<<10, now.Add(-2*pageOutBusySettle))
	p := newPager(dir)
	var advised int
	p.advise = func(start, length uintptr) error { advised++; return nil }
	if err := p.pass(now, true); err != nil {
		t.Fatal(err)
	}
	if advised != 1 {
		t.Errorf("busy pass: %d madvise calls, want 1 (the old table only)", advised)
	}
	if err := p.pass(now, false); err != nil {
		t.Fatal(err)
	}
	if advised != 3 {
		t.Errorf("quiet pass after it: %d madvise calls in all, want 3 (then the young table and the memtable log)", advised)
	}
}

// TestHeapReturnedOncePerQuietSpell: the heap goes back on the first
// tick after which little was allocated, not again while quiet, and
// again after a busy spell.
func TestHeapReturnedOncePerQuietSpell(t *testing.T) {
	freed := 0
	h := heapReturner{free: func() { freed++ }}
	var allocs uint64
	for i, step := range []struct {
		alloc uint64
		want  int
	}{
		{100 << 20, 0},          // first tick: busy since start
		{50 << 20, 0},           // busy
		{heapQuietAlloc / 2, 1}, // quiet: return
		{0, 1},                  // still quiet: nothing more
		{heapQuietAlloc / 4, 1},
		{heapQuietAlloc, 1},     // busy again
		{heapQuietAlloc / 2, 2}, // quiet: return again
	} {
		allocs += step.alloc
		h.observe(allocs)
		if freed != step.want {
			t.Fatalf("tick %d (+%d bytes): heap returned %d times, want %d", i, step.alloc, freed, step.want)
		}
	}
}

// mappedFile is a file of random bytes mapped shared and read-only.
type mappedFile struct {
	path       string
	data, want []byte
}

// mapFile writes size random bytes to path, syncs them (dirty pages
// cannot be paged out), sets the file's modification time to mtime, maps
// it and reads every page. The mapping is removed at cleanup.
func mapFile(t testing.TB, path string, size int, mtime time.Time) mappedFile {
	t.Helper()
	want := make([]byte, size)
	for i := range want {
		want[i] = byte(i*7 + i>>12)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(want); err != nil {
		t.Fatal(err)
	}
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(path, mtime, mtime); err != nil {
		t.Fatal(err)
	}
	data, err := syscall.Mmap(int(f.Fd()), 0, size, syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Munmap(data) })
	if !bytes.Equal(data, want) {
		t.Fatalf("%s: mapped bytes differ from the written ones", path)
	}
	return mappedFile{path: path, data: data, want: want}
}

// mappedRSS returns how many bytes of path's mappings are resident in
// this process (/proc/self/smaps).
func mappedRSS(t *testing.T, path string) int64 {
	t.Helper()
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rss int64
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		// A mapping's header line starts with its address range; the
		// lines after it ("Rss:   4 kB") describe it.
		if f := strings.Fields(line); len(f) > 0 && strings.Contains(f[0], "-") && !strings.HasSuffix(f[0], ":") {
			m, ok := parseMapping(line)
			in = ok && m.path == path
			continue
		}
		if v, found := strings.CutPrefix(line, "Rss:"); found && in {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(v, "kB")), 10, 64)
			if err != nil {
				t.Fatalf("smaps %q: %v", line, err)
			}
			rss += kb << 10
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rss
}

// TestParseMapping reads /proc/PID/maps lines, paths with spaces included.
func TestParseMapping(t *testing.T) {
	for _, tc := range []struct {
		line string
		want mapping
		ok   bool
	}{
		{"7f3a5c000000-7f3a5e000000 r--s 00000000 fd:00 1234                       /data/db/000150.sst",
			mapping{0x7f3a5c000000, 0x7f3a5e000000, "/data/db/000150.sst"}, true},
		{"00400000-00452000 r-xp 00000000 08:02 173521      /my data/db/00022.mem",
			mapping{0x400000, 0x452000, "/my data/db/00022.mem"}, true},
		{"7ffd1e2a1000-7ffd1e2c2000 rw-p 00000000 00:00 0                          [stack]", mapping{}, false},
		{"7f0000000000-7f0000001000 rw-p 00000000 00:00 0 ", mapping{}, false},
		{"garbage", mapping{}, false},
	} {
		got, ok := parseMapping(tc.line)
		if ok != tc.ok || got != tc.want {
			t.Errorf("parseMapping(%q) = %+v, %v; want %+v, %v", tc.line, got, ok, tc.want, tc.ok)
		}
	}
}

// BenchmarkPageOutPass measures one pass over 200 mapped, settled tables
// (about what 100 000 small objects make), every one paged out each time.
func BenchmarkPageOutPass(b *testing.B) {
	dir := b.TempDir()
	old := time.Now().Add(-2 * pageOutSettle)
	for i := range 200 {
		mapFile(b, filepath.Join(dir, strconv.Itoa(i)+".sst"), 64<<10, old)
	}
	p := newPager(dir)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if err := p.pass(time.Now().Add(time.Duration(i)*pageOutRepeat), false); err != nil {
			b.Fatal(err)
		}
	}
}
