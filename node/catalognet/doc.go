// Package catalognet holds the catalogue's network adapters: what package
// catalog's sync (catalog.StartSync) publishes through on a node.
//
// Records is catalog.Records over the node's DHT (dht.DHT): heads and
// bucket lists are signed DHT records, and a key with no record in the
// network or in this node's memory (dht.ErrNotFound) is
// catalog.ErrNoRecord.
//
// Blobs is catalog.Blobs: a snapshot run is a swarm object (reference
// counted and fsynced like any object), indexed in badger by its SHA-256
// under node/blob/<hex SHA-256> (the value is its swarm ID). PutBlob of a
// blob already held takes no new reference; ReleaseBlob drops the index
// entry and the one swarm reference once the catalogue no longer
// references the blob. GetBlob returns the local copy, else fetches the
// blob over BlobProtocol from the head's writer, then from the connected
// members, verifies it and keeps it, so this node serves it too.
//
// # Blob protocol
//
// /d3s/blob/1.0.0 fetches a snapshot blob from a member that holds it,
// until snapshots move through the swarm like objects. The request is the
// blob's 32-byte SHA-256; the answer is 1 status byte (0 found, 1 not
// here), then for a found blob its 8-byte big-endian length and its
// bytes. The reader bounds the length (512 MiB, about 2.5 million
// entries) and checks the SHA-256 before it uses or stores the blob; a
// fetch from one peer, and serving one request, take at most 60 s, and a
// request is served only while the node runs (NewBlobs's context). The
// host runs on the private network, so only members ask or answer.
package catalognet
