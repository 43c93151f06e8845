// Package catalog keeps each node's durable index of its users' buckets,
// the current entry of every object key, and multipart uploads in
// progress, in the node's badger database.
//
// # Model
//
// Every user has a private bucket namespace. A bucket maps keys to their
// current Entry: the object version's swarm infohash, size, ETag, SHA-256,
// content metadata, checksum, parts count, a hybrid-logical-clock Time,
// the writer node's ID and a delete-marker flag. Entries are immutable and
// ordered by (Time, Writer) — Entry.Newer — so the signed DHT records and
// the CRDT merge of later versions (DESIGN.md §4–5) can apply entries from
// other nodes in any order and converge on the last writer. Time is a
// hybrid logical clock (Clock): Unix nanoseconds plus a logical counter,
// so entries written within one clock tick still order.
//
// Writes are single badger transactions on a database opened with
// SyncWrites, so a write that returns is durable; read-modify-write
// operations (conditional Put, parts, CompleteUpload) rely on badger's
// conflict detection and are retried on badger.ErrConflict. A Check passed
// to Put runs inside the transaction, which makes S3's If-Match and
// If-None-Match atomic with the write. Delete writes a delete-marker
// entry (a tombstone with its own Time) instead of removing the key, so
// that a deletion also wins over older writes merged from other nodes;
// Get, HeadObject and listings skip markers. Markers are kept for
// Config.TombstoneTTL (default 7 days, "Delete markers" below), then
// dropped from snapshots and indexes. A deleted bucket keeps its record
// with a deletion time.
//
// # Network catalogue (StartSync)
//
// Without StartSync a catalogue is local. StartSync(ctx, SyncConfig)
// publishes it through Records (the DHT) and Blobs (snapshot storage),
// signing with the user's key from Signer. Record namespaces
// (dht/record/doc.go has the wire formats):
//
//	/d3s/buckets/<AccessKeyID>           the user's bucket list (record.BucketListRecord)
//	/d3s/bucket/<AccessKeyID>/<bucket>   the bucket's head (record.CatalogHead)
//
// A head carries a sequence number, the writer's HLC time, the ID of the
// bucket's snapshot manifest, the entries newer than it (each entry in
// the Entry encoding below) and a frontier: per writer node, the latest
// time of its entries the head has merged ("Partitions" below). When the recent entries would pass
// MaxRecent (default 512, about 66 KB of head) or 256 KiB, the writer
// turns them into a new run of the snapshot (below) and the head then
// carries no entries; heads stay far below record.MaxBucketRecordSize.
//
// Snapshots are log-structured: a manifest lists runs, immutable sorted
// blobs of entries, oldest first. A cut stores the recent entries as a
// new run, then merges the newest runs while, together, they hold more
// than 1/compactRatio (half) of the entries of the run before them
// (size-tiered compaction: per key the newest entry by (Time, Writer)
// survives, delete markers included; entries not newer than the
// bucket's last deletion are dropped). Run sizes so at least halve from
// one run to the next: a manifest lists O(log N) runs and each entry is
// rewritten O(log N) times, so filling a bucket of N keys writes
// O(N log N) snapshot bytes (measured, 100 000 keys published every 512
// writes: 95 MB for a 21.5 MB final snapshot, 4.4x; the whole-bucket
// snapshots of version 1 wrote 1058 MB, 49x). A reader fetches only the runs that the
// manifest it merged last does not list (by content ID), merges them
// and records the new manifest (cat/m/); a writer records the manifest
// it published without fetching anything, its runs' entries being in
// its index already.
//
// Merge rules (a CRDT: any order of merges gives the same result):
//   - objects: per key, the entry with the later (Time, Writer) wins;
//     delete markers are entries, so put/delete races go to the later;
//   - bucket list: per name, the record whose later of Created and
//     Deleted is later wins (ties: Created, then Deleted);
//   - a bucket whose deletion wins loses its local entries, and entries
//     dated at or before a bucket's last deletion are ignored when merged,
//     so a re-created bucket starts empty. DeleteBucket revalidates the
//     bucket first and refuses while the merged catalogue holds a live
//     entry or a multipart upload in progress. The rule chosen for a PUT on
//     node B racing a DeleteBucket on node A within the staleness window
//     is that the deletion wins: the object goes with the bucket, as if
//     the PUT had come after it (S3 would have answered NoSuchBucket).
//
// Clock: merged times move the local HLC forward (Clock.Observe), so a
// write on a node always orders after what that node has seen. Heads
// dated more than record.MaxClockSkew ahead are refused by the validator,
// entries and bucket times that far ahead are ignored.
//
// Outbox: every acknowledged write (Put, Delete, CompleteUpload,
// CreateBucket, DeleteBucket) is written to the index and to the outbox
// in one synced transaction, so it is durable before the client's 200
// and survives restarts (StartSync republishes what is left). A publisher
// per dirty bucket waits BatchDelay (5 ms) so that a burst shares one
// head, then runs read-merge-publish: read the head, merge it (and the
// runs of its manifest not merged yet), build the next head with sequence = the
// highest seen + 1 and the base's recent entries plus the outbox, sign,
// PutRecord, read back. If another writer's record won, merge it and go
// again. An outbox entry is dropped only when a published record holds
// it or a newer version of its key: a merged remote record that does, or
// our own record once it stayed the published one for Settle (1 s).
// Settle exists because Select lets a writer that read the previous head
// before our put displace ours with an equal sequence; a writer whose
// build took more than Settle/2 re-reads the head before putting, so
// such a displacement can only land within Settle of our put, and the
// publisher then republishes the displaced entries.
//
// Reading: the last record merged per bucket (and per bucket list) is
// kept in badger, so its sequence survives restarts and a restarted node
// serves its cache at once. Refresh revalidates a bucket whose last check
// is older than Staleness (1 s): it fetches the head, merges it if it is
// newer than the one merged, and waits at most RefreshWait (1 s) for the
// network before serving the cache (the fetch goes on in the background).
// The cache is served only while it holds the newest head seen
// (available.go): a head found but not merged (its snapshot blobs cannot
// be fetched), or a bucket never merged here, without own writes, whose
// first revalidation has not ended well within 5 s, makes Refresh return
// ErrUnavailable, which the node answers with 503: an index that may lack
// keys is never served as if it were whole.
// A background loop revalidates every bucket read in the last two
// minutes every Staleness/2.
//
// Consistency promises, for a client of node B after a write
// acknowledged by node A:
//   - the write is durable on A at once and never lost short of A's disk
//     (or a racing deletion of its bucket, above), whatever the network;
//   - it is published within BatchDelay plus a DHT get, put and get
//     while the network is up, and retried with backoff until it is;
//   - B shows it within about Staleness/2 (background loop, for buckets
//     B serves reads of) to Staleness (a read's own revalidation) after
//     publication; reads on A see it at once;
//   - concurrent writers converge: every node ends with the same entry
//     per key, the one with the latest (Time, Writer);
//   - a network partition loses nothing either: when it heals, each
//     writer whose writes the winning head lacks republishes them
//     (within VerifyInterval for buckets written in the last hour),
//     unless they are older than TombstoneTTL;
//   - no ordering across buckets; listing is one local range scan, so it
//     is consistent within one node's snapshot.
//
// # Partitions
//
// During a partition each side publishes its own heads, every writer's
// outbox settles on its side, and when the partition heals the head with
// the higher sequence wins everywhere: without more, the other side's
// acknowledged writes would live on only in their writers' indexes. So
// every head carries a frontier (record.CatalogHead.Frontier: per writer
// node, the latest time of its entries merged into the head, one line
// per writer; the next head takes the base's frontier raised by the
// entries it adds, leaves out lines older than 2 x TombstoneTTL and keeps
// at most record.MaxFrontier, the newest), and every node keeps per bucket
// a mark (cat/w/): the latest time of its own entries that left its
// outbox because a published record held them (its head settled, or a
// merged head carried the very entry). Own entries newer than the mark
// are still in the outbox. When a node merges a head whose frontier for
// it is below its mark, the head lost own writes that had left the
// outbox: the node scans the bucket's index for its current entries
// newer than that frontier, puts them back into the outbox and publishes
// them again; the mark then drops to the frontier (so one head triggers
// one scan) and rises again as they settle. Entries another writer's
// newer version replaced meanwhile stay replaced. A node finds such a
// head when it reads, writes or revalidates the bucket; the refresh loop
// also revalidates every bucket whose mark is younger than TombstoneTTL,
// every VerifyInterval (30 s) while the mark is under an hour old, then
// more and more rarely (age/120), at least hourly, so an idle writer
// notices a heal. Rejoin (called by a node when members connect)
// revalidates every bucket read recently or watched at once, so a heal
// is noticed within seconds rather than at the next VerifyInterval. A node that is gone for good cannot republish its
// writes; they are as durable as its disk, as they always were.
//
// Rule past the TTL: own entries older than now - TombstoneTTL are not
// put back, delete markers included, so a node back from a partition or
// absence longer than the TTL does not resurrect keys deleted (and their
// markers collected) meanwhile; those writes stay in its own index only
// (until a resync, "Delete markers" below, removes them).
//
// The bucket list is small (at most record.MaxBuckets entries), so it needs
// no frontier: after merging a list, a node compares every local bucket
// record (as its next list would carry them) with the list and puts back
// into its outbox those the list lacks or holds older, except records
// older than TombstoneTTL. Its mark for the bucket list ("" bucket) only
// drives the revalidation.
//
// # Delete markers
//
// A delete marker must outlive every older version of its key that could
// still reach a node; TombstoneTTL (DefaultTombstoneTTL, 7 days) bounds
// that to partitions and absences shorter than the TTL. Markers older
// than it are collected:
//   - in snapshots, only by a compaction that merges every run of the
//     manifest (the tiers say so, or snapshot.GCDue: runs whose newest marker is
//     older than the cutoff hold at least a quarter of the entries), so a
//     marker leaves together with every version it shadowed; the newest
//     runs' compactions keep them, since an older run they do not merge
//     may hold such a version. Such a compaction records its cutoff as
//     the manifest's horizon. A bucket sheds its markers at its first
//     write after they expire, each rewrite shedding at least a quarter of
//     the snapshot (measured, 100 000 keys of which 90 000 deleted: 21.4 MB
//     of runs before, 2.1 MB after, BenchmarkTombstoneGC100k);
//   - in indexes: a node that records a manifest with a later horizon
//     removes the markers dated before it, except those whose key has an
//     outbox entry (a write not yet published). The index holds one entry
//     per key, so no older version remains for them to hide, and the
//     snapshot no longer holds one either;
//   - a node whose last merged head is older than the horizon was away
//     while markers it never saw were dropped; when it merges the head, it
//     also removes the entries dated before the horizon that the snapshot
//     (runs and recent entries) no longer holds (the versions those
//     markers deleted), except keys with an outbox entry; the versions go
//     to OnReplaced.
//
// Past the TTL, a version older than a collected marker that reaches the
// network again (only from a node partitioned or offline for longer,
// publishing from its outbox) shows its key again. Nodes of one network
// should share one TTL.
//
// # Snapshot format
//
// Runs and manifests are content-addressed blobs (ID = SHA-256) whose
// formats, versions 2 and 3, catalog/internal/snapshot describes, with
// size-tiered compaction. The head's snapshot ID is the manifest's ID.
//
// # Releasing snapshot blobs
//
// A node holds the blobs it stored or fetched (Blobs). When the manifest
// recorded for a bucket changes (a head merged, our head published, the
// bucket purged), the blobs of the old manifest that the new one does
// not list are recorded as garbage (cat/g/) with the time; so are blobs
// written for a head that was not published and runs merged away within
// one cut. Every BlobGrace/4 the refresh loop releases
// (Blobs.ReleaseBlob) the garbage older than BlobGrace (default 30 s, at
// least 2 x Settle, so the superseding head is published and settled and
// readers of the superseded one had time to fetch) whose bucket's
// current manifest does not list it; a listed one is only forgotten, and
// recorded again when a later manifest drops it. Sweeps run under the
// bucket's work lock, so no merge or publish of the bucket interleaves.
// Blob IDs are per content, and run contents carry unique (Time, Writer)
// stamps, so two buckets never share a run.
//
// # Multipart uploads
//
// An upload and each of its parts are entries of the bucket under
// reserved keys (catalog/internal/entry, "Multipart entries"; encoded as
// entry version 2, which older nodes refuse rather than list as objects).
// CreateUpload, PutPart, CompleteUpload and AbortUpload write them, and
// delete markers for the upload and all its parts (CompleteUpload in the
// same transaction as the object's entry), through the outbox like any
// write; heads, snapshot runs, the per-key (Time, Writer) merge, frontier
// repair and the --tombstone-ttl expiry of markers carry them unchanged,
// so every node sees every upload and part. Two nodes storing the same
// part number keep the later one everywhere. Objects (listings) never
// yield them; Refs yields objects and parts, the entries that reference
// swarm data, for the node's repair walk and collection sweep, so a part
// of a live upload is replicated and never collected. AwaitPublished
// waits until a bucket's writes so far are in a published head: the node
// answers a multipart write only then, so the client's next request may
// go to any node. A part uploaded on a node that has not yet seen the
// upload end stays a live part entry of an ended upload (its bytes are
// kept until a later delete of the bucket): the race is bounded by the
// publication of the end, not closed.
//
// # Replaced object versions
//
// Put, Delete and CompleteUpload return the version they replaced. A
// version (or part) removed by a merge (a newer remote version or delete marker)
// or by the purge of a deleted bucket goes to SyncConfig.OnReplaced,
// after the removal is durable. The catalogue cannot tell whether its
// node holds the version's bytes; the node can: it holds one reference
// per version it wrote (Entry.Writer is its ID) and none for versions
// merged from other nodes.
//
// # Local store
//
// The badger layout (the index, multipart state, outbox, merged records,
// marks, manifests and snapshot garbage under "cat/") and the
// transactions over it belong to catalog/internal/store, whose doc has
// the keys and the upload and part record encodings. Package catalog is
// the store's facade (a Catalog's methods are the store's, plus a
// revalidation before DeleteBucket) and its publisher: the read-merge-
// publish rounds, refreshes, snapshot cuts, partition repair and the
// sweep of snapshot blobs above, which read and write the store only
// through its methods.
package catalog
