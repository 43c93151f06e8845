// Package pageout hands a badger database's file pages and the Go heap's
// free pages back to the kernel, so that idle objects cost nothing in RAM
// (DESIGN.md §10).
//
// badger v4 maps every table, memtable log and value log with mmap and
// writes a new table through its mapping, so every table a flush or
// compaction writes stays resident although nothing reads it: without
// help the whole database is resident. v4 cannot read its files with
// pread instead, so Run asks the kernel to reclaim those pages with
// madvise(MADV_PAGEOUT), once a second:
//
//   - each table once it is settled (1 s old), and again every minute: a
//     table never changes after it is written; the pages that reads touch
//     afterwards (the repair walk's metadata, objects being served) come
//     back and stay until the next repeat, and a brand-new level-0 table
//     stays cached for the compaction that usually reads it right away;
//   - the memtable and value logs on every pass: the memtable log is only
//     read when the database is opened again, and values large enough for
//     the value log are rare here.
//
// While requests arrive a pass takes only tables 10 s old and leaves the
// logs alone: paging out the write-ahead log being appended to, or a
// level-0 table the next compaction is about to read, turns page-cache
// hits into disk reads.
//
// MADV_PAGEOUT reclaims only clean pages that no other process maps, as
// reclaim under memory pressure would; dirty pages stay until the
// kernel's writeback (badger syncs its own writes), so no write is lost.
// A reclaimed page leaves the page cache too: reading it again costs a
// disk read, the price of an idle object costing no memory. Unlike
// MADV_DONTNEED it never discards memory, so a range that badger unmaps
// between reading /proc/self/maps and the call is harmless even if
// something else is mapped there by then. Kernels before 5.4 and systems
// other than Linux lack it: the pages then stay resident.
//
// After a burst of requests the Go runtime keeps freed heap for minutes,
// so Run also hands it back (debug.FreeOSMemory: one forced collection)
// once per quiet spell, on the first pass after which the process
// allocated little; under load it does nothing.
//
// What this saves and costs, measured, is in docs/ARCHITECTURE.md
// ("Departures from DESIGN.md") and BENCHMARKS.md.
package pageout
