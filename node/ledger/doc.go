// Package ledger is the one owner of a node's reference bookkeeping: which
// object versions it holds as a replica, which of those are candidates
// for collection, which of its own versions it handed over to their
// holders, and which replica fetches are in flight. Replication, repair
// and collection change it only through its methods, which serialise on
// one mutex where an answer depends on several of these facts at once.
//
// # Keys (badger)
//
//	node/replica/<infohash hex>  when the replica was recorded (8-byte Unix ns; empty in old indexes)
//	node/gc/<infohash hex>       when the candidate was noted (8-byte Unix ns)
//	node/handed/<infohash hex>/<version ID>  empty
//
// # References
//
// The swarm counts references per content. This node holds exactly one
// reference per version its own PUT, COPY or Complete created (Entry.Writer
// is its peer ID) until it hands it over, one per infohash it replicated or
// adopted as a holder (node/replica/), and none for other versions merged
// from other nodes. Whenever a version leaves the index its reference is
// released only if it is one of this node's (HoldsData): releasing for a
// remote version would take the reference of a local version with the
// same bytes.
//
// A version handed over (its R live holders confirmed their copies while
// this node was not one of them) gets its marker before the release: a
// crash in between leaks one reference, where the other order could
// release it twice. ReleaseEntry honours the marker, so the reference is
// released exactly once.
//
// # Candidates
//
// A version leaving the index notes its infohash as a candidate when this
// node holds a replica of it, or is fetching a copy that may become one
// (a release notice can overtake the replication it follows). The
// collection sweep (package collect) decides; a replicate request for the
// infohash clears a candidate noted before the request began, in the same
// transaction that records the replica, so a new version of the same
// bytes is never collected, while one noted since stays for the sweep.
package ledger
