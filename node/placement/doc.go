// Package placement decides which members hold an object version: the
// Replicas (R, default 3) live members whose peer IDs are XOR-closest to
// its infohash in the Kademlia keyspace. There are no per-object provider
// records: any node computes the same holders from the members it sees.
//
// Live means connected now: a member that died stops being a holder as
// soon as its connections drop, so writes and repairs route copies to
// members that can take them. In a network larger than a routing table's
// first bucket (20 members) a bounded GetClosestPeers lookup adds the
// peers it finds. Before the node is on a network (Attach), the only live
// member, and so the only holder, is the node itself.
//
// The members come from a PeerSource (the node's libp2p host and DHT);
// placement imports no other component, and the replication, repair and
// collection components ask it rather than each other.
package placement
