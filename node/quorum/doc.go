// Package quorum is the record store of strong mode (catalog.Quorum):
// every member of the network keeps at most one copy of each catalogue
// record, replaced only by compare-and-swap, and an operation counts
// the answers of a majority of every member known, live or not, so that
// the minority side of a partition can neither read nor write.
//
// # Members and majority
//
// The members are Config.Members (in the node: the stored peers and the
// connected ones), this node, and every member other members named in
// their answers; the majority is half of them plus one, computed at the
// start of each operation. The operation goes to every member at once,
// this node's own served directly on its database; a member not
// connected is dialled (at most 3 s). It returns as soon as its outcome
// is decided; the calls still running finish in the background, bounded
// by Config.Timeout (default 4 s), which also bounds the operation. A
// node whose answers revealed members it did not know runs the
// operation once more over the larger set, within the same Timeout.
//
// # Records
//
// A member keeps key's record under "quorum/rec/<key>" in badger. SWAP
// stores value (a valid record of key, record.Validator) in one
// transaction iff the member holds none and over names none, or the
// hash of its record is in over, and value is better than its record
// (Validator.Select); holding value already is success. A refusal
// carries the member's record. SwapRecord succeeds once a majority
// stored the record, fails with catalog.ErrLostRace (and the refusers'
// records) once so many refused that no majority can, and with
// catalog.ErrNoQuorum (an ErrUnavailable: 503) when the Timeout or the
// context ends first. Hence a record a majority accepted stays
// contained, by merges, in whatever those members hold later, and any
// later majority read meets one of them. GET answers the record, none,
// or which of the caller's known records it is.
//
// # Leases
//
// A lease is held in the members' memory (name, holder nonce, expiry);
// a member grants it unless another holder's lease runs, and refuses
// every grant after a restart until the leases it granted before have
// ended (a stored horizon; a member that never granted one is ready at once),
// since it forgot what it granted before. A lease needs a majority of
// grants; a failed attempt gives back what it got. The holder trusts it
// until ttl after the request was sent, less a margin (members count
// from receipt, later).
//
// # Protocol (/d3s/quorum/1.0.0)
//
// One request and one answer per stream; fields with 2- or 4-byte
// big-endian lengths (p2p.AppendField16, AppendField32). Request: op (1
// GET, 2 SWAP, 3 LEASE, 4 RELEASE) | 12-byte member digest (8 bytes of
// SHA-256 over the sorted, 2-byte-length-prefixed member IDs, then their
// count, 4 bytes) | key (field16, <= 1 KiB) | then
//
//	GET      known count (2) | 32-byte SHA-256 each (<= 256)
//	SWAP     value (field32, <= record.MaxBucketRecordSize) | over count (2) |
//	         32-byte SHA-256 each (<= 256; 32 zero bytes: none)
//	LEASE    16-byte holder nonce | ttl in ms (4)
//	RELEASE  16-byte holder nonce
//
// Answer: status | body | member count (2, <= 512) | member IDs (field16
// each). Statuses: 0 accepted (SWAP stored, LEASE granted, RELEASE
// done), 1 none (GET), 2 record (GET; field32), 3 known (GET; 2-byte
// index into the request's hashes), 4 refused (SWAP; the member's
// record, field32, empty for none), 5 held (LEASE), 6 not ready (LEASE
// within MaxLeaseTTL of the member's start), 7 error (field16 message;
// also an unknown op). A responder whose member digest differs from
// the request's lists its members, and remembers the requester. A
// malformed request resets the stream.
package quorum
