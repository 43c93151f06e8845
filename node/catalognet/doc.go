// Package catalognet holds the catalogue's network adapters: what package
// catalog's sync (catalog.StartSync) publishes through on a node.
//
// Records is catalog.Records over the node's DHT (dht.DHT): heads and
// bucket lists are signed DHT records, and a key with no record in the
// network or in this node's memory (dht.ErrNotFound) is
// catalog.ErrNoRecord.
//
// Blobs is catalog.Blobs: a snapshot run or manifest is a swarm object
// (reference counted and fsynced like any object), indexed in badger by
// its SHA-256 under node/blob/<hex SHA-256> (the value is its swarm ID),
// and placed like an object once Attach gave it the network: PutBlob
// replicates it to its holders (Network.Replicate, the objects' path) and
// returns, once the configured durable copies exist, its placed ID:
// SHA-256 (32 bytes) then swarm infohash (20 bytes), which readers use to
// find its holders (BlobObject). PutBlob of a blob already held takes no
// new reference; ReleaseBlob drops the index entry and the one swarm
// reference once the catalogue no longer references the blob, and tells
// the holders of a placed blob (Network.Retire). GetBlob returns the
// local copy (indexed, or the replica a placed ID names), else fetches
// the blob over BlobProtocol from its holders, then the head's writer,
// then the connected members, verifies it and keeps it, so this node
// serves it too.
//
// # Blob protocol
//
// /d3s/blob/1.0.0 fetches a snapshot blob from a member that holds it.
// The request is the blob's ID, 32 to 64 bytes up to the requester's
// close of its side (a placed ID, or a bare SHA-256; nodes before
// placement read only its first 32 bytes); the answer is 1 status byte (0 found, 1 not
// here), then for a found blob its 8-byte big-endian length and its
// bytes. The reader bounds the length (512 MiB, about 2.5 million
// entries) and checks the SHA-256 before it uses or stores the blob; a
// fetch from one peer, and serving one request, take at most 60 s, and a
// request is served only while the node runs (NewBlobs's context). The
// host runs on the private network, so only members ask or answer.
package catalognet
