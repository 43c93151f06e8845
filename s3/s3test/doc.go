// Package s3test holds what every s3.ObjectStore is tested with: MemStore,
// an in-memory reference implementation; MemCredentials, an in-memory
// s3.Credentials; and Run, the conformance suite that MemStore and the real
// node (*node.Node) both pass, in the manner of perkeep's storagetest.
//
// # MemStore
//
// MemStore keeps, per user access key, a map of buckets; a bucket holds the
// current version of each key (an immutable byte slice plus its
// s3.ObjectInfo), a sorted slice of its keys and its multipart uploads. A
// write reads and verifies its body outside the store's lock, then swaps the
// new version in under it, so a reader always sees one complete version and
// a failed write (short or long body, reader error, bad digest, failed
// condition) leaves the previous version untouched. Listings use
// s3.Paginate and s3.PaginateUploads over the sorted keys, the same code the
// node runs over its badger index.
//
// # Run
//
// Run(t, newStore) calls the ObjectStore API directly (no HTTP) and checks
// each sentence of the contract in s3/store.go with a named subtest:
// separate user namespaces, bucket lifecycle errors, byte-exact round trips
// from 0 bytes to ~9 MiB, digests, metadata and checksums, size and digest
// failures storing nothing, conditional writes, copy, listing with
// prefixes, delimiters and pagination over odd keys, the multipart flow and
// its errors, and concurrent readers and writers never seeing a torn
// object. Errors are compared by S3 code (s3.AsCode). newStore is called
// once per subtest that needs a fresh store; the suite takes a few seconds
// on MemStore.
package s3test
