// Package node assembles one D3S node and implements s3.ObjectStore over
// the catalog (package catalog: buckets, the sorted object index,
// multipart state, published network-wide as signed DHT records) and swarm
// (package swarm: object bytes as v1 torrents, reference counted,
// deduplicated by content), both in one badger database opened with
// synced writes in DataDir/db; object files live in DataDir/objects.
//
// # Lifecycle
//
// New loads the node key (node.key) and the network key (network.key),
// opens the database (tuned to stay small when idle: 16 MiB memtables,
// 2 MiB uncompressed tables, no block or index cache, its logger
// silenced; db.go), the users, the swarm and the catalog, and on the
// founder's fresh data dir creates the first user (FirstUser). Start
// listens for S3, starts the libp2p host (dht.NewHost on Config.P2PAddr;
// default every interface, an ephemeral TCP port, since the network key
// keeps strangers out) and the DHT, joins,
// starts the user sync, the blob protocol and the catalogue's sync loops
// (catalog.StartSync), writes the join token, then serves S3 and the admin
// socket (package admin, node/admin: users, the join token and Status for
// the d3sd subcommands). Close stops in reverse: the HTTP server (gracefully), the admin
// socket and background loops, the catalogue sync, the DHT, the host, the
// swarm, the database.
//
// # Joining a network
//
// A node started without a join token on a data dir without network.key
// founds a network: it creates the network key and the user "admin". With
// Config.JoinToken (dht.Token: the network key and a member's addresses)
// a fresh data dir stores the token's key, marks itself joined
// (network.joined; such a node never creates a first user) and must reach
// a member on its first start (ErrNoMember otherwise: a wrong network key
// fails the PSK handshake the same way). A data dir holding another
// network's key refuses the token (ErrOtherNetwork). Later starts need no
// token: the host remembers the peers it met (dht.Host.KnownPeers). Every
// running node writes its current token to DataDir/join-token (mode 0600,
// rewritten when its addresses change) and serves it on the admin socket
// (GET /token, "d3sd token").
//
// # Users across the network
//
// Package users (node/users) owns the users: the user database in badger,
// which answers the S3 front end's credential lookups and opens the keys
// the catalogue signs with, and its sync (users.Sync), which publishes
// user records to the DHT, looks unknown access keys up there and
// exchanges all records with every member that connects, over
// /d3s/users/1.0.0. New opens the database (users.Open) and creates the
// founder's first user; startP2P attaches the sync and publishes every
// local user. The package's doc.go tells the rest.
//
// # Catalogue across the network
//
// The catalogue publishes through three adapters: dhtRecords
// (catalog.Records over dht.DHT, ErrNotFound → catalog.ErrNoRecord),
// blobStore (catalog.Blobs: a snapshot is a swarm object indexed by its
// SHA-256 under node/blob/; a blob not held locally is fetched over
// /d3s/blob/1.0.0 from the head's writer, then from connected members,
// bounded to 512 MiB and checked against its SHA-256 before it is used
// and kept; ReleaseBlob drops the index entry and the one swarm reference
// once the catalogue no longer references the blob) and the user database
// (catalog.Signer: the private key sealed in the user record). Reads of
// objects call catalog.Refresh(user, bucket)
// first and bucket operations Refresh(user, ""), which revalidate a stale
// cache (Config.Staleness) with a bounded wait.
//
// # Placement and replication
//
// An object version's holders are the Config.Replicas (R, default 3)
// live members whose peer IDs are XOR-closest to its infohash in the
// Kademlia keyspace (placement.go): this node and the members it is
// connected to now, so a member that died stops being a holder as soon
// as its connections drop; in a network larger than 20 members a
// bounded GetClosestPeers lookup adds the peers it finds. There are no
// per-object provider records. After a
// PUT, COPY or Complete, the writer queues a task per holder other than
// itself in badger (repl/<infohash>/<peer>, one synced write), then asks
// each over /d3s/replicate/1.0.0 (replicate.go: infohash, size, metainfo,
// swarm peer names to fetch from); the holder calls swarm.Fetch, records
// one replica reference (node/replica/<infohash>) and answers once the copy
// is durable. The request waits for Config.SyncReplicas copies (default 2,
// the writer's included, capped by the copies possible; else 503
// SlowDown); the other tasks go on in the background and a retry loop
// (replqueue.go) re-runs failed ones with backoff, across restarts.
//
// Repair (repair.go, repair_walk.go, have.go, handover.go): every
// Config.RepairInterval (default 30 s, ±10%; the first pass 5 s after
// Start) a node walks what it holds — the replica index, then its own
// versions in every bucket of every user it knows, 1024 at a time — and
// asks each version's other live holders over /d3s/have/1.0.0 which they
// have (a count and up to 4096 infohashes; a bitmap back). "Has" means a
// replica reference on intact stored bytes, never a read-cache copy; a
// writer that is one of its version's holders records a replica
// reference too on its next pass, so it answers like any holder. The
// first node in placement order (holders, then this node) with a copy
// queues durable tasks to the holders missing one; the queue's retry
// loop runs at most 16 background tasks at once and drops a task whose
// holder is no longer a live holder. A node that is not among the R
// live holders gives its copy up only once all R confirmed theirs: it
// drops its replica reference, and as a writer hands its own reference
// over (node/handed/<infohash>/<version ID>, written before the
// release; holdsData and releaseEntry honour it, so the reference is
// released exactly once and GetObject reads from the holders). Each pass
// records the held objects and bytes and how many had fewer than R
// copies (Status).
//
// Damage (damage.go, scrub.go): the swarm verifies pieces on every read
// and reports a damaged stored object through swarm.Config.OnCorrupt;
// the node marks it (in memory), stops offering it (meta and have
// answers), and repairs it with swarm.Repair from the members that hold
// it intact. A GET of a damaged object waits up to 30 s for that repair
// (503 SlowDown after), since swarm.OpenRemote would open the stored
// copy. The scrub re-verifies every held object once per
// Config.ScrubInterval (default 24 h), reading at the held bytes over
// the interval, at most Config.ScrubRate (default 64 MiB/s) on average;
// the held bytes are the last repair pass's count or what the pass has
// read, the larger, so a node gaining copies mid-pass speeds up.
//
// Status (status.go) reports peers, held and cached objects, the last
// repair pass, pending replications, damage counters and the swarm's
// transfer totals and rates (sampled every 3 s) as an admin.Status; the
// admin socket serves it (GET /status, "d3sd status").
//
// A GET of an entry whose data is not here asks its holders and its writer
// over /d3s/meta/1.0.0 (remote.go) which of them hold it (each loads it as
// a torrent and returns its metainfo and swarm peer name) and streams it
// with swarm.OpenRemote from all that answered; COPY fetches it (taking a
// reference). Only when no holder answers does it fail with 503 SlowDown
// (retryable; the error wraps ErrDataElsewhere and ErrNoHolder). HEAD and
// LIST work everywhere.
//
// References: this node holds exactly one swarm reference per version its
// own PUT, COPY or Complete created (Entry.Writer is its peer ID) until
// it hands it over, one per infohash it replicated or adopted as a
// holder (replica index), and none for other versions merged from other
// nodes. Whenever a version leaves
// the index — replaced or deleted here (the catalog call returns it), or
// replaced by a newer remote version or delete marker, or purged with its
// deleted bucket (catalog.SyncConfig.OnReplaced) — its reference is
// released only if it is one of this node's (holdsData). Releasing for a
// remote version would be wrong, not just useless: swarm references count
// per content, so it would take the reference of a local version with the
// same bytes.
//
// Collecting replicas (gc.go): a version leaving the index here (this
// node's own Put, Delete or Complete, or a merge or purge through
// OnReplaced) notes its infohash as a candidate (node/gc/<infohash>)
// when this node holds a replica of it, and this node's own removals
// also tell the version's holders over /d3s/release/1.0.0 (the 20-byte
// infohash, no answer), which note it likewise. Every Config.ReplicaGC
// (default 1 min) a sweep with candidates revalidates every bucket of
// every user this node knows (catalog.Revalidate: each lookup waited
// for and merged; if one fails, or no other member is connected, the
// sweep collects nothing) and scans
// them: a candidate no live entry references, and noted at least 5 s ago
// (the deleter publishes after it notifies), loses its replica key and
// its one swarm reference; one still referenced — several keys or users
// share one content-addressed infohash — is checked again for 2 min,
// then forgotten. The scan is one pass over the local catalogue per sweep:
// correct rather than fast. A replicate request for the infohash clears
// its candidate in the same transaction that records the replica, so a
// new version of the same bytes is never collected; a notice that
// arrives while the copy is still being fetched (beginFetch) is noted all
// the same, and recording that copy does not clear it. A holder that missed
// every notice finds its orphan replicas through the repair pass (it
// checks a replica against the catalogue before leading a copy of it) or
// the orphan scan (orphans.go).
//
// Idle torrents (idle.go): serving a replicate or meta request loads the
// object as a torrent; the node remembers until when it must stay loaded
// (Config.SeedIdle, default 2 min, plus a second per MiB of the object
// so a slow download is not cut off) and a loop unloads it afterwards
// (swarm.Unseed; the bytes stay). The next request loads it again.
//
// Idle database pages (pageout.go): badger maps its files and writes new
// tables through the mapping, so every table written stays resident; a
// loop asks the kernel to reclaim each table's pages once it is 1 s old
// and again every minute (madvise MADV_PAGEOUT), and the memtable and
// value logs' on every pass (while S3 requests arrive: only tables 10 s
// old, no logs); once the process stops allocating it also hands the Go
// heap's free pages back (debug.FreeOSMemory).
// With 100 000 small objects that took idle RSS after the PUTs from 470
// to 120–200 MiB (e2e TestScaleIdleRSSAndRestart).
//
// # How requests flow
//
// PUT: the bucket (and any If-Match/If-None-Match) is checked first so a
// doomed upload stores nothing; swarm.Put then writes the bytes once,
// fsyncs them and checks Content-MD5 and the signed SHA-256 in the same
// pass, returning a new reference. The catalog commits the entry (ETag =
// hex MD5, SHA-256, metadata, checksum) in one synced badger transaction
// that re-checks the conditions against the current entry, so concurrent
// conditional writes are atomic. If the commit fails the new reference is
// released; once it succeeds the replaced version's reference is (when
// this node holds it, see References above).
// Identical bytes get the same swarm ID, so two keys holding them share
// one stored copy and each holds a reference.
//
// GET and HEAD read the entry from the catalog and open its swarm object;
// the reader is the swarm's (an *os.File for file-backed objects, so the
// HTTP server can sendfile). If the version was replaced and its bytes
// released between the lookup and the open, the lookup is retried.
//
// DELETE removes the catalog entry, then releases its reference: a crash
// in between can leak bytes but never leave an entry without them. COPY
// takes another reference on the source's bytes; nothing is read.
//
// Multipart: every part is a swarm object of its own, recorded in the
// catalog under its upload (replacing a part releases the old one).
// Complete validates the client's list (InvalidPartOrder, InvalidPart,
// EntityTooSmall), joins the parts with swarm.Concat — no byte is copied,
// the joined object holds references to its parts — and commits the
// object entry (ETag = MD5 of the parts' MD5s, "-", part count) in the
// same transaction that removes the upload; then the parts' own
// references are released. Abort releases the parts.
//
// Listing is local: ListObjects and ListMultipartUploads run s3.Paginate
// and s3.PaginateUploads over catalog range scans, so a page costs
// O(MaxKeys) seeks whatever the bucket size.
//
// # Errors
//
// errors.go holds the one table translating catalog and swarm sentinel
// errors into S3 codes; other errors (such as a client's body read error)
// pass through unchanged.
package node
