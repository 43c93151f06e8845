// Package store is the catalogue's local store: the durable index of
// users' buckets, object keys and multipart uploads in the node's badger
// database, and the publication state kept in the same transactions (the
// outbox of acknowledged writes not yet published, the last record
// merged per bucket, the marks, the snapshot manifests merged and the
// snapshot blobs they no longer reference). Package catalog exposes the
// index through Catalog and publishes it; every read or write of the
// "cat/" keys goes through a Store or Outbox method, and the store calls
// back through Config's hooks (Wrote, Replaced, Marked) where the
// publisher must hear of a change.
//
// Writes are single badger transactions, retried from scratch on
// badger.ErrConflict (ErrConflict after 64 tries); merges, purges and
// scans of a whole bucket run in bounded transactions (TxnChunk keys
// written, 1024 index entries read) far below badger's transaction size
// limit. DeleteBucket holds the bucket's lock exclusively, the writes
// into a bucket hold it shared: badger's conflict detection cannot see a
// key inserted into a range that DeleteBucket scanned empty.
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
//	cat/o/ lp(user) lp(bucket) key         current entry (S3 byte order;
//	                                       multipart entries under the
//	                                       reserved keys 0xff 'u'…, 0xff 'p'…)
//	cat/u/ lp(user) lp(bucket) esc(key) id legacy upload record (migrated)
//	cat/p/ lp(id) uint16be(part)           legacy part record (migrated)
//	cat/x/ lp(user) lp(bucket) key         outbox entry (bucket "": bucket list)
//	cat/h/ lp(user) lp(bucket)             last record merged (bucket "": list)
//	cat/m/ lp(user) lp(bucket)             manifest merged: ID[32] blob
//	cat/g/ lp(user) lp(bucket) ID[32]      unreferenced blob: varint unix ns
//	cat/w/ lp(user) lp(bucket)             mark (bucket "": list): varint wall, logical
//
// Object keys follow their bucket's prefix raw, so a bucket listing is one
// badger range scan in S3's byte order. Multipart uploads and their parts
// are entries of the same range under keys no object has
// (entry.UploadKey, entry.PartKey; they sort after every object, and
// Objects stops before them): they take the outbox, publication, merge
// and tombstone paths of objects unchanged. Upload IDs are 32 hex digits:
// the initiation time (big-endian nanoseconds and logical counter) and 4
// random bytes, so uploads of one key list by (initiation, ID) as S3
// requires.
//
// # Value encodings
//
// Entries and bucket records are encoded as catalog/internal/entry
// describes (version byte, varints, length-prefixed strings; decoders
// refuse unknown versions with entry.ErrUnknownVersion). Before
// multipart uploads were entries, a node kept its own under cat/u/ and
// cat/p/, never published; MigrateUploads (run when the catalogue opens)
// turns them into entries of this node and deletes them. A legacy upload
// record is version(1) lp(key) lp(id) metadata varint(initiated wall)
// initiated logical; a legacy part record is version(1) number
// infohash[20] size lp(etag) lp(checksum algorithm) lp(checksum value)
// varint(time wall) time logical.
package store
