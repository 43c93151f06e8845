// Package catalog keeps each node's durable index of its users' buckets,
// the current entry of every object key, and multipart uploads in
// progress, in the node's badger database.
//
// # Model
//
// Every user has a private bucket namespace. A bucket maps keys to their
// current Entry: the object version's swarm infohash, size, ETag, SHA-256,
// content metadata, checksum, parts count, a hybrid-logical-clock Time,
// the writer node's ID and a delete-marker flag. Entries are immutable and
// ordered by (Time, Writer) — Entry.Newer — so the signed DHT records and
// the CRDT merge of later versions (DESIGN.md §4–5) can apply entries from
// other nodes in any order and converge on the last writer. Time is a
// hybrid logical clock (Clock): Unix nanoseconds plus a logical counter,
// so entries written within one clock tick still order.
//
// Writes are single badger transactions on a database opened with
// SyncWrites, so a write that returns is durable; read-modify-write
// operations (conditional Put, parts, CompleteUpload) rely on badger's
// conflict detection and are retried on badger.ErrConflict. A Check passed
// to Put runs inside the transaction, which makes S3's If-Match and
// If-None-Match atomic with the write. Deletion currently removes the
// entry; the merge of later versions will keep a delete-marker entry
// instead, so that a deletion also wins over older remote writes.
//
// # Badger keys
//
// All keys start with "cat/". lp(s) is s prefixed with its length as an
// unsigned varint, which makes the fields unambiguous whatever bytes they
// hold; esc(s) replaces each 0x00 byte with 0x00 0xff and ends with
// 0x00 0x01, which keeps byte order and makes no escaped key a prefix of
// another.
//
//	cat/b/ lp(user) bucket                 bucket record (sorted by name)
//	cat/o/ lp(user) lp(bucket) key         current entry (S3 byte order)
//	cat/u/ lp(user) lp(bucket) esc(key) id multipart upload record
//	cat/p/ lp(id) uint16be(part)           part record
//
// Object keys follow their bucket's prefix raw, so a bucket listing is one
// badger range scan in S3's byte order. Upload IDs are 32 hex digits: the
// initiation time (big-endian nanoseconds and logical counter) and 4
// random bytes, so uploads
// of one key list by (initiation, ID) as S3 requires.
//
// # Value encodings
//
// Every record starts with a version byte (currently 1 for each kind);
// decoders refuse unknown versions with ErrUnknownVersion. Integers are
// varints (uvarint unless noted), strings are lp(s), hashes are raw fixed
// bytes. An Entry is:
//
//	version(1) flags(bit 0: delete marker) lp(key) lp(versionID)
//	infohash[20] size lp(etag) sha256[32] metadata
//	lp(checksum algorithm) lp(checksum value) partsCount
//	varint(time wall ns) time logical lp(writer)
//
// where metadata is lp(content-type) lp(content-encoding)
// lp(content-disposition) lp(content-language) lp(cache-control)
// lp(expires) count {lp(name) lp(value)} with user metadata sorted by
// name, so the same entry always encodes to the same bytes (as signing
// needs). A bucket record is version varint(created wall) created logical;
// an upload record is version lp(key) lp(id) metadata varint(initiated
// wall) initiated logical; a part record is version number infohash[20]
// size lp(etag) lp(checksum algorithm) lp(checksum value) varint(time
// wall) time logical.
package catalog
