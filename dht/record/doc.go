// Package record holds D3S's signed DHT records: the user credential
// record that replaces the paper's central User Manager, the user's bucket
// list and each bucket's catalogue head, with their wire formats, the
// validators that check and order them, and the network key that seals user
// secrets. It is pure: it imports nothing of libp2p and nothing else of
// D3S, so the catalog can build and check records without the DHT host.
// Package dht carries these records in a private Kademlia DHT and hands
// Validator to kad-dht; Validator and UserValidator have the methods of
// libp2p's record.Validator.
//
// # Users
//
// A user is an Ed25519 key pair. The access key ID is self-certifying: the
// first 20 characters of the unpadded upper-case base32 SHA-256 of
// "d3s-user-v1" || public key, so no one but the key's owner can sign a
// record that validates under it, and no registry of access keys is
// needed. The secret access key is 40 random characters of
// [A-Za-z0-9+/], as AWS's are.
//
// The network key (NetworkKey, 32 bytes) is shared by every member of one
// network; here it seals user secrets. Package dht stores it
// (dht.LoadOrCreateNetworkKey) and makes it the libp2p private-network PSK.
//
// # Key namespaces
//
//	/d3s/user/<AccessKeyID>              the user's credential record (UserRecord), also its name claim
//	/d3s/buckets/<AccessKeyID>           the user's bucket list (BucketListRecord)
//	/d3s/bucket/<AccessKeyID>/<bucket>   a bucket's catalogue head (CatalogHead)
//
// kad-dht splits keys at the first slash, so all three live in the libp2p
// record namespace "d3s" (RecordNamespace); Validator dispatches on the
// second element and rejects any other key with ErrBadRecordKey.
//
// # User record, version 2
//
// All integers are big-endian.
//
//	size  field
//	1     version = 2
//	1     name length n, 1..64
//	n     name, [A-Za-z0-9._@-]
//	32    Ed25519 public key
//	8     created, Unix nanoseconds
//	8     sequence number, >= 1
//	8     changed, Unix nanoseconds, >= created (this version's change)
//	1     flags: bit 0 = revoked; other bits must be zero
//	2     sealed length m, = 100
//	m     sealed: 12-byte nonce || AES-256-GCM(secret (40) || private key seed (32))
//	64    Ed25519 signature by the user key
//
// Version 1 is the same without the changed and flags fields; it still
// decodes (Changed = Created, not revoked), validates and competes in
// Select. The version byte is signed, so neither passes for the other.
//
// The sealing key is HKDF-SHA256(network key, no salt, info
// "d3s user seal v1"); the GCM additional data is "d3s user seal v1" ||
// public key, so a sealed blob does not open inside another user's record.
// Every member node can open any record of its network and so serve any
// of its users, as the paper's User Manager could; other peers cannot.
//
// The signature covers "d3s user record v1\x00" followed by every byte
// before the signature. A record is at most MaxUserRecordSize (4 KiB)
// bytes; a version-2 record is at most 289.
//
// ValidateUserRecord checks size, version, field bounds, that the DHT key's
// access key ID is the one derived from the record's public key, and the
// signature; it needs no network key. SelectUserRecord puts a revoked
// record above every record without the flag, then keeps the highest
// sequence number, then the latest change time, then the latest creation
// time, then the greatest encoding, so all nodes converge on the same
// record. UserValidator offers both with the methods of libp2p's
// record.Validator.
//
// # Changing a user
//
// Rotate and Revoke make the next record of a user: sequence + 1, signed
// by the user's key (opened from the sealed part, so any member can sign).
// Rotate seals a new secret and keeps the key pair, hence the access key
// ID and the user's buckets. Revoke sets the revoked flag and seals a
// random secret. The promise: once a revoked record exists, Select never
// prefers another record of that user, so no replay of an older record,
// and no later record that drops the flag, brings the user back; a node
// that keeps the best record it has seen (package dht, node/users) never
// serves the user again.
//
// # Names
//
// A user record is the signed, dated claim of its name; no other record
// or registry holds names. NameConflicts takes the records of one name
// and returns the users that lost it: claims in order of creation time,
// then access key ID; a claim loses when an earlier claim that did not
// lose itself was not revoked at the time. Two nodes that created one
// name without seeing each other thus agree, once they hold the same
// records, on which user keeps it; the other loses it for good, and a
// removed user's name is free for users created after the removal.
//
// # Bucket records
//
// Both are signed by the user key (any member node can sign for a user: the
// private key is sealed inside the user record) and embed the user's public
// key, so they are self-certifying: the validator checks that the key's
// access key ID is AccessKeyID(public key), then the signature. A record is
// at most MaxBucketRecordSize (512 KiB; kad-dht silently drops values near
// 4 MiB). Integers are big-endian.
//
// Bucket list: 1 version | 1 type = 2 | 32 public key | 8 sequence >= 1 |
// 2 count n <= 1000 | n x (1 name length, name [a-z0-9.-]{3,63} in strictly
// ascending order, 12 created HLC, 12 deleted HLC, zero unless a tombstone)
// | 64 signature over "d3s bucket list v1\x00" || all preceding bytes.
//
// Catalogue head, version 2 (CatalogHeadVersion): 1 version = 2 | 1 type =
// 3 | 32 public key | 8 sequence >= 1 | 1+n bucket name (must equal the
// key's) | 12 HLC time (8 Unix ns, 4 logical; rejected if more than
// MaxClockSkew = 5 min in the future) | 1+n snapshot manifest ID (<= 64) |
// 1+n writer node ID (1..128) | 2 frontier count f (<= MaxFrontier = 1024)
// | f x (1+n writer node ID (1..128), 12 HLC time > 0), writers in
// strictly ascending byte order | 4 entry count (<= 65535) | per entry 4
// length + opaque bytes (encoded by catalog) | 64 signature over
// "d3s catalog head v1\x00" || all preceding bytes. The frontier holds, per
// writer node, the latest time of its entries merged into the head; the
// catalog uses it to notice writes a healed partition lost (catalog/doc.go,
// "Partitions"). A full frontier of 128-byte writer IDs takes 141 KiB,
// which leaves room under MaxBucketRecordSize for the catalog's 256 KiB
// bound on a whole head; with real peer IDs (52 bytes) 1024 lines take
// 65 KiB.
//
// Version 1 (CatalogHeadV1) is the same without the frontier count and
// lines; such heads still decode (with an empty Frontier), validate and
// compete in Select with version 2 by sequence. The version byte is
// signed, so a head cannot be passed off as the other version.
//
// Select keeps the highest sequence; ties go to the later HLC time (heads),
// then the greater writer, then the greater encoding; a record compared
// with itself is never displaced, so republishing refreshes it.
package record
