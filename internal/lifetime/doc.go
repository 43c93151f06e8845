// Package lifetime is the lifetime of a long-running owner (a node) as its
// components see it: one context cancelled at shutdown, the background
// loops started on it, and the work that requests and peers start (a
// replication, a repair, a protocol handler), which may begin only while
// the owner is open and which shutdown waits for.
package lifetime
