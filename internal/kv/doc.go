// Package kv holds the badger helpers the node's components share: the
// one way a node opens its database (tuned for a small idle footprint, see
// Open) and reading a value that may be absent.
package kv
