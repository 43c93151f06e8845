// Package peername shows the BitTorrent engine a stand-in address for
// every peer name, and carries its connections over the swarm's
// transport.
//
// anacrolix/torrent identifies peers by IP: it bans the IP of a peer that
// sent a piece failing its hash, and its "smart ban" keys blocks by IP.
// Peer names are not IPs (a libp2p peer ID; banning one panics inside the
// engine), and on loopback every TCP peer shares 127.0.0.1, so a ban
// would cut every peer at once. So the engine never sees real names: each
// name maps to an address in the unique-local range fdd3::/16 derived
// from its SHA-256, port 1. A peer that serves bad data is banned by that
// address, which means that peer alone, in both directions; the ban lasts
// while the swarm runs.
package peername
