package pageout

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// The loop's pace.
const (
	// pageOutFirst delays the first pass: opening the database and the
	// first repair walk read much of it.
	pageOutFirst = 2 * time.Second
	// pageOutInterval is short because a compaction rewrites many tables
	// within seconds, all resident until a pass sees them settled, and a
	// pass is cheap (BenchmarkPageOutPass).
	pageOutInterval = time.Second
	// pageOutSettle is when a table is settled after it was written
	// (badger syncs a new table before using it).
	pageOutSettle = time.Second
	// pageOutBusySettle is how old a table must be while requests
	// arrive: a young level-0 table is what the next compaction reads.
	pageOutBusySettle = 10 * time.Second
	// pageOutRepeat is when a table is paged out again: a table never
	// changes, but reads bring its pages back.
	pageOutRepeat = time.Minute
	// heapQuietAlloc: a tick after which the process allocated less than
	// this is quiet.
	heapQuietAlloc = 2 << 20
)

// errPageOutUnsupported: the kernel is older than 5.4, which brought
// MADV_PAGEOUT.
var errPageOutUnsupported = errors.New("page out not supported")

// mapping is one file-backed range of this process's address space.
type mapping struct {
	start, end uintptr
	path       string
}

// pager pages out a database directory's file mappings (see doc.go).
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

// Run pages out the badger database in dir every pageOutInterval until
// ctx ends, and hands the Go heap's free pages back once per quiet spell.
// busy returns a counter that grows while requests arrive (the node's S3
// request count): a pass after it moved leaves the database's working set
// alone. Where the system cannot page out (before Linux 5.4, or not
// Linux) the database's pages stay resident and only the heap is handed
// back.
func Run(ctx context.Context, dir string, busy func() int64, log *slog.Logger) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("component", "pageout")
	p := newPager(dir)
	t := time.NewTimer(pageOutFirst)
	defer t.Stop()
	var heap heapReturner
	requests := busy()
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
			r := busy()
			err := p.pass(now, r != requests)
			requests = r
			if errors.Is(err, errPageOutUnsupported) {
				log.Debug("database pages stay resident", "err", err)
				p = nil
			} else if err != nil {
				log.Warn("page out database", "err", err)
			}
		}
	}
}

// heapReturner hands the Go heap's free pages back to the kernel once
// per quiet spell (see doc.go).
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
