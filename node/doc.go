// Package node assembles one D3S node and implements s3.ObjectStore over
// the catalog (package catalog: buckets, the sorted object index,
// multipart state, published network-wide as signed DHT records) and swarm
// (package swarm: object bytes as v1 torrents, reference counted,
// deduplicated by content), both in one badger database opened with
// synced writes in DataDir/db (internal/kv); object files live in
// DataDir/objects.
//
// # Components
//
// node owns the assembly, Config, the lifecycle, the s3.ObjectStore
// methods and Status. Everything else is a component built in New with
// its dependencies named in its Config, and put on the network by Start:
//
//	node/ledger      replicas held, collection candidates, handed-over references, fetches in flight
//	node/placement   which R live members hold an object version (XOR distance)
//	node/replicate   push to holders, the durable queue, /d3s/replicate/1.0.0, idle torrents
//	node/remote      reads from holders (/d3s/meta/1.0.0)
//	node/repair      repair passes, /d3s/have/1.0.0, damage tracking, scrub
//	node/collect     release notices (/d3s/release/1.0.0), the sweep, the orphan scan
//	node/users       the user database and its sync (/d3s/users/1.0.0)
//	node/admin       the admin socket: users, join token, Status
//	node/catalognet  the catalogue's records over the DHT and snapshot blobs (/d3s/blob/1.0.0)
//	node/p2p         the swarm's transport over libp2p (/d3s/bt/1.0.0), wire fields, tracked handlers
//
// Components do not import each other: they share the ledger and
// placement, and reach the others through small interfaces or functions
// in their Config (repair queues copies through replicate's Queue, finds
// holders through remote's FindHolders and checks the catalogue through
// collect's LiveRefs). internal/lifetime is the node's lifetime that all of
// them run on: one context, the loops, the background work Close waits
// for. internal/pageout is one such loop, started by Start: it hands the
// database's settled file pages and the Go heap's free pages back to the
// kernel, so idle objects cost no RAM.
//
// # Lifecycle
//
// New loads the node key (node.key) and the network key (network.key),
// opens the database, the users, the swarm and the catalog, builds the
// components, and on the founder's fresh data dir creates the first user
// (FirstUser). Start listens for S3, starts the libp2p host (dht.NewHost
// on Config.P2PAddr; default every interface, an ephemeral TCP port,
// since the network key keeps strangers out) and the DHT, joins, starts
// the user sync and the blob protocol, puts placement and the components
// on the network, starts the catalogue's sync loops (catalog.StartSync),
// writes the join token, then serves S3 and the admin socket. Close stops
// in reverse: the HTTP server (gracefully), the admin socket, the loops
// and background work, the catalogue sync, the DHT, the host, the swarm,
// the database.
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
// # How requests flow
//
// PUT: the bucket (and any If-Match/If-None-Match) is checked first so a
// doomed upload stores nothing; swarm.Put then writes the bytes once,
// fsyncs them and checks Content-MD5 and the signed SHA-256 in the same
// pass, returning a new reference. The catalog commits the entry (ETag =
// hex MD5, SHA-256, metadata, checksum) in one synced badger transaction
// that re-checks the conditions against the current entry, so concurrent
// conditional writes on one node are atomic. If the commit fails the new
// reference is released; once it succeeds the replaced version is retired
// (collect.Retire: its reference released when this node holds it, its
// holders told), and replicate.Replicate waits for the SyncReplicas
// durable copies (503 SlowDown otherwise). Identical bytes get the same
// swarm ID, so two keys holding them share one stored copy and each holds
// a reference.
//
// GET and HEAD read the entry from the catalog (after catalog.Refresh
// revalidates a stale cache) and open its swarm object; the reader is the
// swarm's, which returns only bytes of pieces that passed their SHA-1
// check. A local copy known to be damaged is never read: the GET waits
// up to 30 s for its repair (repair.AwaitRepair; 503 SlowDown after). A
// version whose bytes are not here streams from its holders
// (remote.Open); when none answers the GET fails with 503 SlowDown
// (ErrDataElsewhere), never NoSuchKey. If the version was replaced and
// its bytes released between the lookup and the open, the lookup is
// retried.
//
// DELETE removes the catalog entry (a delete marker), then retires the
// version: a crash in between can leak bytes but never leave an entry
// without them. COPY takes another reference on the source's bytes
// (remote.Fetch when they are elsewhere); nothing is read.
//
// Multipart: uploads and parts are catalogue entries, so any node serves
// any upload (multipart.go). Every part is a swarm object of its own,
// replicated like a PUT and recorded in the catalog under its upload
// (replacing a part retires the old one). Create, UploadPart and Abort
// answer once the bucket's head holding them is published; a node that
// does not find an upload revalidates the bucket first (503 SlowDown if it
// cannot). Complete validates the client's list (InvalidPartOrder,
// InvalidPart, EntityTooSmall), fetches the parts this node lacks from
// their holders, joins them with swarm.Concat — no byte is copied, the
// joined object holds references to its parts — and commits the object
// entry (ETag = MD5 of the parts' MD5s, "-", part count) in the same
// transaction that ends the upload; it is then replicated like a PUT.
// Complete and Abort retire the parts: the own references go and the
// holders are told (collect.Retire).
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
