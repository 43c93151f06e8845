// Package node assembles one D3S node and implements s3.ObjectStore over
// the local catalog (package catalog: buckets, the sorted object index,
// multipart state) and swarm (package swarm: object bytes as v1 torrents,
// reference counted, deduplicated by content), both in one badger
// database opened with synced writes in DataDir/db; object files live in
// DataDir/objects.
//
// # Lifecycle
//
// New opens the database (tuned to stay small when idle: 16 MiB memtables,
// 32 MiB block cache, 16 MiB index cache, its logger silenced), the users,
// the swarm and the catalog, and creates the first user on a fresh data
// dir (FirstUser). Start serves S3 (s3.NewServer) on Config.S3Addr and the
// admin socket; Close shuts the HTTP server down gracefully, stops the
// background loops and closes the swarm, then the database.
//
// # How requests flow
//
// PUT: the bucket (and any If-Match/If-None-Match) is checked first so a
// doomed upload stores nothing; swarm.Put then writes the bytes once,
// fsyncs them and checks Content-MD5 and the signed SHA-256 in the same
// pass, returning a new reference. The catalog commits the entry (ETag =
// hex MD5, SHA-256, metadata, checksum) in one synced badger transaction
// that re-checks the conditions against the current entry, so concurrent
// conditional writes are atomic. If the commit fails the new reference is
// released; once it succeeds the replaced version's reference is.
// Identical bytes get the same swarm ID, so two keys holding them share
// one stored copy and each holds a reference.
//
// GET and HEAD read the entry from the catalog and open its swarm object;
// the reader is the swarm's (an *os.File for file-backed objects, so the
// HTTP server can sendfile). If the version was replaced and its bytes
// released between the lookup and the open, the lookup is retried.
//
// DELETE removes the catalog entry, then releases its reference: a crash
// in between can leak bytes but never leave an entry without them. COPY
// takes another reference on the source's bytes; nothing is read.
//
// Multipart: every part is a swarm object of its own, recorded in the
// catalog under its upload (replacing a part releases the old one).
// Complete validates the client's list (InvalidPartOrder, InvalidPart,
// EntityTooSmall), joins the parts with swarm.Concat — no byte is copied,
// the joined object holds references to its parts — and commits the
// object entry (ETag = MD5 of the parts' MD5s, "-", part count) in the
// same transaction that removes the upload; then the parts' own
// references are released. Abort releases the parts.
//
// Listing is local: ListObjects and ListMultipartUploads run s3.Paginate
// and s3.PaginateUploads over catalog range scans, so a page costs
// O(MaxKeys) seeks whatever the bucket size.
//
// # Errors
//
// errors.go holds the one table translating catalog and swarm sentinel
// errors into S3 codes; other errors (such as a client's body read error)
// pass through unchanged.
package node
