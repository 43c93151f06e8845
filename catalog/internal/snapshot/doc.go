// Package snapshot is the catalogue's per-bucket snapshot format: a
// manifest lists runs, immutable sorted blobs of entries, oldest first
// (log-structured, size-tiered). It encodes and decodes runs and
// manifests, checks blobs against their content IDs, plans compaction
// (Tier, GCDue) and merges runs (MergeReaders); storing, fetching and
// releasing blobs, and deciding when to cut, are package catalog's.
//
// # Compaction
//
// A cut stores a head's recent entries as a new run, then merges the
// newest runs while, together, they hold more than 1/compactRatio (half)
// of the entries of the run before them (Tier). Per key the newest entry
// by (Time, Writer) survives, delete markers included; entries not newer
// than the bucket's last deletion are dropped. Run sizes so at least halve
// from one run to the next: a manifest lists O(log N) runs and each entry
// is rewritten O(log N) times. A compaction that merges every run (the
// tiers say so, or GCDue: runs whose newest marker is older than the
// tombstone cutoff hold at least 1/gcRatio of the entries) also drops the
// delete markers older than the cutoff and records it as the manifest's
// horizon.
//
// # Format, versions 2 to 4
//
// Blobs are content-addressed: an ID starts with the SHA-256 of the blob
// and readers check it before using a blob, so a blob can come from any
// node; the blob store may append up to 32 bytes of its own (a node
// appends the blob's swarm infohash, so readers know its holders), which
// this package carries opaquely.
// A run is "d3s-run" | version byte 2 | uvarint count | count x
// (uvarint length, Entry encoding), entries in strictly ascending key
// byte order. A manifest is "d3s-mfst" | version byte 4 | varint horizon
// (Unix ns; 0 when no full compaction dropped markers) | uvarint runs (at
// most 256) | runs x (uvarint ID length (32 to 64), run ID, uvarint entries, uvarint bytes, uvarint
// delete markers, varint wall time of the newest marker or 0), oldest run
// first; the sizes let a writer plan compaction, and the marker counts
// tombstone GC, without fetching runs. Version 3 is the same with every
// run ID exactly 32 bytes and no length. A version 2 manifest (no horizon,
// no marker fields) still decodes, with its markers counted as unknown
// (0). The head's snapshot ID is the manifest's ID. Version 1 (one blob
// holding the whole bucket) is not read any more.
package snapshot
