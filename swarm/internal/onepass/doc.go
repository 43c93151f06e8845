// Package onepass reads an object's bytes once and, in that one pass,
// writes them to a file and computes every digest the swarm records: MD5,
// SHA-256 and the SHA-1 of each piece (the "pieces" of a v1 info
// dictionary).
//
// Run reads the body into ChunkSize buffers aligned for O_DIRECT; each
// buffer goes at the same time to the file writer, MD5, SHA-256 and the
// SHA-1 piece hasher, each its own goroutine, with eight buffers in
// flight. Each hash is sequential, so one goroutine per hash is the most
// parallelism one stream has. MD5 is the slowest and cannot be split, so
// it sets the pace: a durable 256 MiB PUT ran at ~545 MiB/s against
// ~735 MiB/s for the hashes alone. HashAll does the same on the calling
// goroutine for small objects, where goroutines cost more than they save.
//
// FileWriter writes the chunks to a temp file made by CreateTemp, with
// O_DIRECT where the file system allows it (2–5x faster than buffered
// write + fsync on the target machine, and it leaves the CPU to the
// hashes), and makes it durable with fdatasync.
//
// The package knows nothing of records, IDs or the piece-length rule: the
// caller passes the piece length and decides what the digests mean.
package onepass
