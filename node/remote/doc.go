// Package remote reads object versions whose bytes are not on this node:
// it asks the members that may hold a version (its holders by placement,
// then its writer) over Protocol which of them have it, and streams it
// from all that answered (swarm.OpenRemote), or fetches it with a
// reference (COPY). It also answers other members' questions.
//
// Protocol (/d3s/meta/1.0.0): the request is the 20-byte infohash; the
// answer 1 status byte (held or not here), then for a held object its
// swarm peer name (2-byte length) and its metainfo (4-byte length). A
// held object is loaded as a torrent before the answer (Seeder), so the
// asker can download; a copy known to be damaged is never offered. The
// swarm checks the metainfo against the infohash before fetching
// anything.
package remote
