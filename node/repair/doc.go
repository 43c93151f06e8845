// Package repair keeps R intact copies of every object version a node
// holds: the repair loop restores copies after members leave or lose
// data, the have protocol tells other members what this node holds, the
// damage tracker repairs a stored object whose bytes fail their SHA-1,
// and the scrub re-verifies every held object over a day.
//
// # Repair passes
//
// Every Config.Interval (default 30 s, ±10%; the first pass 5 s after
// Start) a node walks what it holds — the replica index, then its own
// versions in every bucket of every user it knows, 1024 at a time — and
// asks each version's other live holders over HaveProtocol which they
// have. Per version (Decide):
//
//   - the first node in placement order (the holders, closest first,
//     then this node when it is not one) that has a copy leads: it queues
//     durable replication tasks to the holders missing one, so exactly
//     one node sends where views agree; except for a collection candidate
//     (package ledger): a version with those bytes left a catalogue, and
//     copying it to holders that collected theirs already would leave
//     them a copy no notice will ever collect;
//   - a holder that has the bytes only as their writer records a replica
//     reference (adopt), so it answers "have" like the others;
//   - a node that is not a holder gives its copy up only once every one
//     of the R live holders confirmed theirs: a replica reference is
//     dropped, and the writer's own reference handed over (ledger.HandOver;
//     GetObject reads from the holders from then on).
//
// A replica recorded Config.CheckAge ago or more (10 min) whose copies
// this node would lead is first checked against the catalogue (LiveRefs,
// once per pass): a replica nothing references is a deleted version
// whose notice this node missed, and becomes a collection candidate
// instead of being spread again.
//
// # Have protocol
//
// HaveProtocol (/d3s/have/1.0.0): a 2-byte big-endian count (at most
// 4096) and that many 20-byte infohashes; the answer is a bitmap of
// ceil(count/8) bytes, bit i (most significant bit first, as in a
// BitTorrent bitfield) set when the member has the i-th infohash. "Has"
// means a replica reference on stored bytes not known to be damaged; a
// copy kept only in the read cache does not count, since it may be
// evicted at any time.
//
// # Damage and scrub
//
// The swarm verifies pieces on every read and reports a damaged stored
// object (OnCorrupt); the node marks it (in memory: a restart forgets the
// mark, and the next read or scrub finds the damage again), stops
// offering it, and repairs it with swarm.Repair from the members that
// hold it intact. A GET of a damaged object waits for that repair
// (AwaitRepair). The scrub re-verifies every held object once per
// Config.ScrubInterval (default 24 h), reading at the held bytes over the
// interval, at most Config.ScrubRate (default 64 MiB/s); the held bytes
// are the last repair pass's count or what the pass has read, the larger.
package repair
