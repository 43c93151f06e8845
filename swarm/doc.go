// Package swarm stores object versions as BitTorrent v1 torrents and
// moves them between nodes.
//
// # Objects and IDs
//
// Each object version is one single-file v1 torrent (anacrolix/torrent
// v1.61.0 cannot use v2). Its info dictionary is
//
//	{length: size, name: hex SHA-256 of the bytes, piece length, pieces}
//
// encoded by hand with sorted keys and nothing else, and the object's ID
// is that dictionary's infohash. Everything in it derives from the bytes,
// so identical bytes give identical IDs on every node and are stored once;
// a reference count says how many catalogue entries, uploads in progress
// or replicas hold them. MetaInfo wraps the dictionary with no trackers:
// peers come from D3S placement, and the S3 layer adds web seeds.
//
// # Piece length
//
// The piece length (swarm/internal/infodict) is the smallest power of two
// from 16 KiB to 16 MiB that keeps the object at or under 2048 pieces:
// 16 KiB up to 32 MiB, 128 KiB at 256 MiB, 512 KiB at 1 GiB, 4 MiB at
// 8 GiB, 16 MiB (and more pieces) beyond 32 GiB. Small pieces let a reader start soon and verify
// ranges cheaply; the cap on their number keeps the info dictionary (20
// bytes per piece, ≤ 40 KiB) and the engine's per-piece state small.
//
// # Layout on disk
//
//	<Dir>/obj/ab/cd/abcd…   file object, named by its ID in hex (never by key)
//	<Dir>/tmp/put-*         uploads and downloads in progress
//
// The two fan-out levels keep directories small with millions of objects.
// Put writes to tmp/ with O_DIRECT where the file system allows it (it was
// 2–5x faster than buffered write + fsync on the target machine and leaves
// the CPU to the hashes), fdatasyncs, renames into obj/ and syncs the
// directories. New deletes tmp/: whatever a crash left there never became
// an object, because an object exists only once its record is committed.
// New also starts a sweep of obj/ that removes files without a record (a
// crash between Release's commit and the file's removal, or between the
// rename and the commit); each ID is checked under the lock that Put and
// Release hold for it, so the sweep never races a write.
//
// # Database keys (cfg.DB, synced writes)
//
//	swarm/o/<20-byte ID>  record: kind (file, inline, concat), size, piece
//	                      length, MD5, SHA-256, reference count, part IDs
//	swarm/i/<ID>          the bencoded info dictionary
//	swarm/d/<ID>          the bytes of an inline object
//
// Objects up to Config.InlineMax (8 KiB by default) live in swarm/d/: a
// PUT is then one synced commit instead of a file write, two fsyncs and a
// commit. Concurrent small commits are merged into one transaction by a
// group committer, because badger v4 syncs its WAL once per transaction
// even when it batches them. Measured with 16 writers of 4 KiB on the
// 2-core target machine: ~11000 PUT/s inline against ~1300 PUT/s as files
// when it was quiet, ~2000 against ~300 when it was busy.
//
// A Concat object (a completed multipart upload) stores only its part IDs
// and holds a reference on each; its bytes are read through the parts, and
// its SHA-1 pieces and SHA-256 are computed in one read pass. Releasing
// its last reference releases the parts.
//
// # One pass
//
// Put, Concat and a finished download read the bytes once, computing MD5,
// SHA-256 and the SHA-1 pieces concurrently while Put writes the file
// (swarm/internal/onepass, which says how and what it measured).
//
// # BitTorrent engine
//
// One anacrolix client per swarm (owned by engine.go's engine, with the
// loaded torrents and the downloads), with no DHT, trackers, PEX, uTP,
// port mapping or sockets of its own: every peer connection goes through a
// Transport (Config.Transport; plain TCP on Config.ListenAddr when nil),
// whose peers are opaque names (libp2p peer IDs in a node, "ip:port" over
// TCP). The engine bans peers by IP, so it only ever sees a stand-in
// address per name (swarm/internal/peername): a peer that sends a piece
// failing its SHA-1 is banned alone, not every peer on the same host.
//
// Its storage (store; swarm/internal/held) serves a stored object's
// pieces from the file, inline bytes or parts, each piece checked the
// first time the loaded torrent reads it (see Integrity), and writes
// downloads into a temp file whose piece completion is kept in memory
// until the whole object is verified and committed; a crash discards a
// partial download. Idle objects are not loaded torrents: Seed loads
// one, Unseed or Release unloads it, a download loads one while it has
// users.
//
// # Integrity
//
// A record is committed only after every piece was hashed (Put, Concat)
// or verified (Fetch), but a disk can damage a file afterwards. So no
// stored byte leaves the swarm unchecked: every reader checks each piece
// against the SHA-1 in the object's info dictionary (itself checked
// against the ID) before it returns a byte of it, and a damaged piece
// fails the read with ErrCorrupt naming the piece and calls
// Config.OnCorrupt, which should start a Repair.
//
//   - Open returns a reader that loads whole pieces, hashes them and
//     serves only those bytes: the bytes before a damaged piece come
//     back, then the error; a sequential reader gets a read-ahead
//     (swarm/internal/verified). An inline object is checked whole when
//     opened.
//   - The engine's storage hashes a piece the first time a peer asks for
//     it in a loaded torrent and remembers the result until the torrent
//     unloads. A damaged piece is never sent: its read fails, the piece
//     is reported incomplete and the engine rejects the request; a peer
//     that asks again is disconnected, and a new connection shows it this
//     node's bitfield without the piece, which it fetches elsewhere.
//   - Scrub reads and checks every piece of one object, one span at a
//     time, for a caller that paces a background pass.
//   - Repair downloads the object again from peers, as a download marked
//     as a repair (shared by concurrent calls): it unloads a torrent
//     seeding the damaged copy first, so the engine neither serves it nor
//     gives the download its storage; every piece is checked by the
//     engine and the whole file hashed again before it replaces the old
//     bytes under the object's lock, references kept. A file is renamed
//     over (fsync of file and directory; open readers keep the old one),
//     an inline value rewritten, and a Concat object becomes a file
//     object whose parts are released (a crash in between leaks their
//     bytes, never loses any). The torrent is loaded again if it was.
//
// # Downloads
//
// Fetch and OpenRemote share one download per object (download.go). It
// asks for every piece; an OpenRemote reader reads through the engine,
// which returns only verified pieces and fetches the pieces at the read
// position first, so the first byte waits for one piece, not the object.
// Once every piece is in, the whole file is hashed again (SHA-256 and the
// pieces) and committed as a cached object with no reference; Fetch then
// takes its reference. Evict removes a cached object, Fetch or Ref make it
// held; past Config.CacheSize the least recently read go first (their
// index is swarm/internal/lru). The last user to leave before completion cancels the download and
// its temp file is removed.
package swarm
