// Package p2p carries a node's traffic over its libp2p host: the swarm's
// BitTorrent connections, and what the node's own D3S protocols share
// (their field codec, bounds and handler wrapper).
//
// # BitTorrent between members
//
// The swarm (package swarm) takes a swarm.Transport; a node's is a
// LateTransport, on which every BitTorrent peer connection is one libp2p
// stream of BTProtocol (/d3s/bt/1.0.0) and a swarm peer is named by its
// libp2p peer ID. The host runs on a private network (the network key
// is its PSK), so only members reach the protocol: this is
// what keeps object data member-only, and the swarm never gets a plain
// TCP transport. The swarm opens in node.New, before the host exists
// (node.Start): until LateTransport.Attach binds it to the host, dials
// wait and nothing is accepted. Closing the swarm's listener removes the
// protocol handler; a later Attach does nothing. Measured cost against
// plain TCP: BenchmarkFetch256MiB (docs/ARCHITECTURE.md, BENCHMARKS.md).
//
// # Length-prefixed fields
//
// The node's request/response protocols (replicate, meta, …) encode
// variable-length fields as a big-endian length of 2 bytes
// (AppendField16, ReadField16) or 4 bytes (AppendField32, ReadField32),
// then the bytes. Readers bound every length before allocating; a field
// over the bound, or any other malformed message, is ErrBadMessage.
// RequestTimeout, MaxMetaInfo and MaxPeerName are the bounds the
// protocols share, and Tracked runs a protocol's handler only while the
// node is open, as background work its Close waits for.
package p2p
