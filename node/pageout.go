package node

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// Handing the database's file pages back to the kernel (DESIGN.md §10:
// idle objects cost nothing in RAM). badger v4 maps every table, memtable
// log and value log with mmap and writes a new table through its mapping,
// so every table a flush or compaction writes stays resident in this
// process although nothing reads it: after 100 000 small PUTs (inline
// objects live in the tables) that was 300 MiB of file-backed RSS, the
// size of the whole database. v4 has no option to read its files with
// pread instead (v1's FileIO loading modes are gone), so the node asks the
// kernel to reclaim those pages with madvise(MADV_PAGEOUT):
//
//   - each table when it is at least pageOutSettle old, and again every
//     pageOutRepeat: a table never changes after it is written, the pages
//     that reads touch afterwards (the repair walk's metadata, objects
//     being served) come back and stay until the next repeat, and a
//     brand-new level-0 table stays cached for the compaction that
//     usually reads it right away;
//   - the memtable and value logs on every pass: the memtable log is only
//     read when the database is opened again, and values large enough for
//     the value log are rare here.
//
// MADV_PAGEOUT reclaims only clean pages that no other process maps, as
// reclaim under memory pressure would; dirty pages stay until the
// kernel's writeback (badger syncs its own writes), so no write is lost.
// A reclaimed page leaves the page cache too: reading it again costs a
// disk read, which is the price of an idle object costing no memory.
// Unlike MADV_DONTNEED it never discards memory, so a range that badger
// unmaps between reading /proc/self/maps and the call is harmless even if
// something else is mapped there by then.
//
// The first pass runs pageOutFirst after the loop starts: opening the
// database and the first repair walk read much of it. A table is settled
// pageOutSettle after it was written (badger syncs a new table before
// using it), and passes are frequent: after a restart badger's first
// compaction (L0 into the base level, cascading down: keys are hashes,
// spread over every table) rewrote ~160 MiB of tables in about 4 s, all
// resident until a pass saw them settled. A pass costs 1.3–1.7 ms with
// 200 tables, every one paged out (BenchmarkPageOutPass).
//
// While S3 requests arrive, a pass leaves the memtable and value logs
// alone and takes only tables pageOutBusySettle old: paging out the
// write-ahead log being appended to, or a level-0 table the next
// compaction is about to read, turns page-cache hits into disk reads.
//
// The loop also hands the Go heap's free pages back once per quiet
// spell: on the first pass after which the process allocated less than
// heapQuietAlloc since the previous one (debug.FreeOSMemory: one forced
// collection). After a burst of requests the runtime otherwise keeps
// 100–200 MiB of freed heap for minutes; under load it does nothing.
const (
	pageOutFirst      = 2 * time.Second
	pageOutInterval   = time.Second
	pageOutSettle     = time.Second
	pageOutBusySettle = 10 * time.Second
	pageOutRepeat     = time.Minute
	heapQuietAlloc    = 2 << 20
)

// errPageOutUnsupported: the kernel is older than 5.4, which brought
// MADV_PAGEOUT.
var errPageOutUnsupported = errors.New("page out not supported")

// mapping is one file-backed range of this process's address space.
type mapping struct {
	start, end uintptr
	path       string
}

// pager pages out a database directory's file mappings (see above).
type pager struct {
	dir string
	// done holds when each table was last paged out, forgotten once
	// unmapped (a compaction replaced the table).
	done map[string]time.Time
	// maps lists this process's file mappings; advise pages one out.
	maps   func() ([]mapping, error)
	advise func(start, length uintptr) error
}

// newPager returns a pager for the database in dir over this process's
// own mappings.
func newPager(dir string) *pager {
	return &pager{dir: filepath.Clean(dir), done: make(map[string]time.Time), maps: selfMappings, advise: pageOut}
}

// pageOutLoop runs a page-out pass over the node's database every
// pageOutInterval until ctx ends (until the system turns out not to
// support it), and hands the heap back when quiet.
func (n *Node) pageOutLoop(ctx context.Context) {
	p := newPager(filepath.Join(n.cfg.DataDir, "db"))
	t := time.NewTimer(pageOutFirst)
	defer t.Stop()
	var heap heapReturner
	requests := n.s3Requests.Load()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			t.Reset(pageOutInterval)
			heap.tick()
			if p == nil {
				continue
			}
			r := n.s3Requests.Load()
			err := p.pass(now, r != requests)
			requests = r
			if errors.Is(err, errPageOutUnsupported) {
				n.log.Debug("database pages stay resident", "err", err)
				p = nil
			} else if err != nil {
				n.log.Warn("page out database", "err", err)
			}
		}
	}
}

// heapReturner hands the Go heap's free pages back to the kernel once
// per quiet spell (see above).
type heapReturner struct {
	allocs   uint64 // bytes allocated by the last tick
	returned bool   // returned since the process last allocated much
	free     func() // debug.FreeOSMemory when nil (tests count calls)
}

func (h *heapReturner) tick() {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return
	}
	h.observe(s[0].Value.Uint64())
}

// observe takes the process's cumulative allocated bytes at a tick and
// returns the heap on the first quiet tick of a spell.
func (h *heapReturner) observe(allocs uint64) {
	quiet := allocs-h.allocs < heapQuietAlloc
	h.allocs = allocs
	if !quiet {
		h.returned = false
	} else if !h.returned {
		if h.free != nil {
			h.free()
		} else {
			debug.FreeOSMemory()
		}
		h.returned = true
	}
}

// pass pages out the tables that are at least pageOutSettle old at now
// (pageOutBusySettle when busy) and were not paged out within
// pageOutRepeat, and, unless busy, the memtable and value logs.
func (p *pager) pass(now time.Time, busy bool) error {
	settle := pageOutSettle
	if busy {
		settle = pageOutBusySettle
	}
	ms, err := p.maps()
	if err != nil {
		return err
	}
	seen := make(map[string]bool)
	paged := make(map[string]bool) // tables paged out by this pass
	for _, m := range ms {
		if filepath.Dir(m.path) != p.dir {
			continue
		}
		switch filepath.Ext(m.path) {
		case ".sst":
			seen[m.path] = true
			last, ok := p.done[m.path]
			if ok && now.Sub(last) < pageOutRepeat && !paged[m.path] || !settled(m.path, now, settle) {
				continue
			}
			p.done[m.path], paged[m.path] = now, true
		case ".mem", ".vlog":
			if busy {
				continue
			}
		default:
			continue
		}
		if err := p.advise(m.start, m.end-m.start); err != nil {
			return err
		}
	}
	for path := range p.done {
		if !seen[path] {
			delete(p.done, path)
		}
	}
	return nil
}

// settled reports whether the file at path was last written at least
// age before now: a table being written has dirty pages that cannot be
// paged out yet.
func settled(path string, now time.Time, age time.Duration) bool {
	fi, err := os.Stat(path)
	return err == nil && now.Sub(fi.ModTime()) >= age
}
