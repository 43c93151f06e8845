// Package entry holds the catalogue's values and their encodings: the
// Entry of one object version, the hybrid-logical-clock Time that orders
// entries, the stored bucket record, and the Encoder and Decoder every
// catalogue record is written with. Package catalog exports Entry, Time,
// Clock, Metadata and Checksum under its own name; its sub-packages (the
// snapshot format, the local store) share them from here.
//
// # Order
//
// Entries are immutable and ordered by (Time, Writer) (Entry.Newer), so
// that the signed DHT records and the CRDT merge of later versions can
// apply entries from other nodes in any order and converge on the last
// writer. Time is a hybrid logical clock (Clock): Unix nanoseconds plus a
// logical counter, so entries written within one clock tick still order.
//
// # Value encodings
//
// Every record starts with a version byte; decoders refuse unknown
// versions with ErrUnknownVersion and anything else that does not decode
// with ErrCorrupt. Integers are varints (uvarint unless noted), strings
// are lp(s) (s prefixed with its length as a uvarint), hashes are raw
// fixed bytes. An Entry (version 1) is:
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
// needs).
//
// # Multipart entries
//
// A multipart upload and its parts are entries too, in the bucket's key
// space under keys no object can have (object keys are UTF-8, where 0xff
// never occurs), so they are published, snapshotted, merged (per key by
// (Time, Writer)), tombstoned and expired exactly like objects:
//
//	upload:  0xff 'u' esc(object key) uploadID
//	part:    0xff 'p' esc(uploadID) uint16be(part number)
//
// where esc(s) is s with 0x00 written 0x00 0xff, then 0x00 0x01, so
// uploads sort by object key and then by ID (initiation order) and an
// upload's parts by number. An upload entry carries the upload's metadata
// and checksum algorithm, its Time is the initiation; a part entry
// carries the part's infohash, size, ETag and checksum. Complete and
// Abort write delete markers for the upload and its parts. These entries
// are encoded as version 2: version(2) flags kind(1 upload, 2 part) and
// then the fields of version 1; the kind must match the key. A node built
// before version 2 skips such an entry in a head (it does not decode) and
// refuses a snapshot run holding one, so it never lists an upload as an
// object. A bucket record (BucketRec) is version(2) varint(created wall)
// created logical varint(deleted wall) deleted logical (version 1 had no
// deletion).
package entry
