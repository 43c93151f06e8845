// Package dht holds D3S's identities and the signed records that replace
// the paper's central User Manager: a node's identity key, the network key,
// and user credential records with their encoding and validators. (The
// libp2p host and private Kademlia DHT that carry the records build on
// these.)
//
// # Identities
//
// A node's identity is an Ed25519 key stored in its data directory
// (node.key, mode 0600) in libp2p's protobuf key encoding, so it is the
// libp2p host's identity as is (LoadOrCreateNodeKey).
//
// The network key (network.key, mode 0600, 32 random bytes in hex) is
// shared by every member of one network. It becomes the libp2p
// private-network PSK and travels in the join token; here it seals user
// secrets (LoadOrCreateNetworkKey).
//
// A user is an Ed25519 key pair. The access key ID is self-certifying: the
// first 20 characters of the unpadded upper-case base32 SHA-256 of
// "d3s-user-v1" || public key, so no one but the key's owner can sign a
// record that validates under it, and no registry of access keys is
// needed. The secret access key is 40 random characters of
// [A-Za-z0-9+/], as AWS's are.
//
// # Key namespaces
//
//	/d3s/user/<AccessKeyID>   the user's credential record (UserRecord)
//
// # User record, version 1
//
// All integers are big-endian.
//
//	size  field
//	1     version = 1
//	1     name length n, 1..64
//	n     name, [A-Za-z0-9._@-]
//	32    Ed25519 public key
//	8     created, Unix nanoseconds
//	8     sequence number, >= 1
//	2     sealed length m, = 100
//	m     sealed: 12-byte nonce || AES-256-GCM(secret (40) || private key seed (32))
//	64    Ed25519 signature by the user key
//
// The sealing key is HKDF-SHA256(network key, no salt, info
// "d3s user seal v1"); the GCM additional data is "d3s user seal v1" ||
// public key, so a sealed blob does not open inside another user's record.
// Every member node can open any record of its network and so serve any
// of its users, as the paper's User Manager could; other peers cannot.
//
// The signature covers "d3s user record v1\x00" followed by every byte
// before the signature. A record is at most MaxUserRecordSize (4 KiB)
// bytes; a version-1 record is at most 280.
//
// ValidateUserRecord checks size, version, field bounds, that the DHT key's
// access key ID is the one derived from the record's public key, and the
// signature; it needs no network key. SelectUserRecord keeps the highest
// sequence number, then the latest creation time, then the greatest
// encoding, so all nodes converge on the same record. UserValidator
// adapts both to libp2p's record.Validator.
package dht
