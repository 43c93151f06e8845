// Package lru is the in-memory index of the swarm's cached objects
// (stored with no reference, by a remote read): least recently used
// first, with their byte count against a budget, the access times not yet
// written to the database, and the downloads that still pin an object.
//
// It owns that state and its lock and nothing else: the swarm rebuilds it
// at open (Restore), writes the access times it hands out (Dirty, then
// Saved) and evicts the victims it picks (Victim), so no database work
// ever runs under the index's lock.
package lru
