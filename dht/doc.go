// Package dht holds D3S's node identities and the libp2p host and private
// Kademlia DHT that carry the signed records replacing the paper's central
// User Manager: a node's identity key, the network key, the host, the DHT
// and the join token. The records themselves (user credentials, bucket
// lists, catalogue heads), their wire formats, key namespaces and
// validators live in package record (dht/record), which imports no libp2p;
// this package hands record.Validator to kad-dht (NewRecordValidator).
//
// # Identities
//
// A node's identity is an Ed25519 key stored in its data directory
// (node.key, mode 0600) in libp2p's protobuf key encoding, so it is the
// libp2p host's identity as is (LoadOrCreateNodeKey).
//
// The network key (network.key, mode 0600, 32 random bytes in hex) is
// shared by every member of one network. It becomes the libp2p
// private-network PSK and travels in the join token; package record uses
// it to seal user secrets (LoadOrCreateNetworkKey returns a
// record.NetworkKey).
//
// # Host and DHT
//
// NewHost starts a libp2p host with the node key: TCP only (QUIC and WebRTC
// refuse a PSK), the network key as private-network PSK, no relay, NAT port
// mapping or mDNS, and resource limits raised for D3S protocols (libp2p's
// defaults allow ~75 streams per peer on a custom protocol). Every peer it
// identifies is stored under "dht/peers/" in badger, so a restarted node
// rejoins without the join token. Connections ping (yamux keepalive)
// every 2 s when idle and close after 5 s without an answer. Start runs a
// redial loop (redial.go) that keeps dialling the members this node knows
// but is not connected to, with a bounded, jittered backoff that ignores
// libp2p's own (up to 5 minutes), and puts them back in the routing
// table: kad-dht alone redials only when its routing table is empty, so
// the two sides of a healed partition stayed apart. New runs kad-dht in server mode with
// protocol prefix "/d3s", the D3S record.Validator, and a badger-backed
// datastore ("dht/kv...") so records survive restarts. Put confirms that at
// least one closest peer stored the record (kad-dht's PutValue does not).
// The best record seen per key is kept under "dht/seen/"; Get and Put never
// go back behind it (record.ErrStaleRecord), and Get answers from it when
// the network cannot. Republish puts every held record again shortly after
// Start and every 12 h, ahead of kad-dht's 48 h expiry and for nodes that
// joined later.
//
// # Join token
//
// "d3s1" + unpadded base64url(32-byte network key | 1 address count |
// per address 2 length + binary multiaddr ending in /p2p/<peer ID> | first
// 4 bytes of SHA-256 of the preceding bytes). It holds the network key, so
// it is a secret.
package dht
