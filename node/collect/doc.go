// Package collect collects the replicas whose versions left every
// catalogue, so deleted and overwritten objects stop costing disk on the
// nodes that held copies.
//
// A version leaving the index here (this node's own Put, Delete or
// Complete, or a merge or purge) releases this node's own reference and
// notes its infohash as a candidate when this node holds a replica of it
// (ledger.ReleaseEntry); this node's own removals also tell the version's
// holders over ReleaseProtocol (/d3s/release/1.0.0: the 20-byte infohash,
// no answer), which note it likewise (Retire).
//
// Every sweep interval (default 1 min) a sweep with candidates
// revalidates every bucket of every user this node knows (LiveRefs:
// catalog.Revalidate, each lookup waited for and merged; if one fails,
// or no other member is connected, the sweep collects nothing) and scans
// them: a candidate no live entry references, and noted at least 5 s ago
// (the deleter publishes after it notifies), loses its replica key and
// its one swarm reference; one still referenced — several keys or users
// share one content-addressed infohash — is checked again for 2 min,
// then forgotten. The scan is one pass over the local catalogue per
// sweep: correct rather than fast.
//
// The orphan scan is the backstop: a holder that was down when the notice
// came, and never reads the bucket, learns of the deletion neither way.
// Every Config.OrphanScan (default 1 h) a node looks for the replicas
// recorded at least one scan interval ago that no live entry references;
// one unreferenced in two scans in a row becomes a candidate, and the
// sweep checks the catalogue once more before it releases anything.
package collect
