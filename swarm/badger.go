package swarm

import "github.com/dgraph-io/badger/v4"

// BadgerOptions returns badger options for a node-sized database in dir:
// synced writes (an object exists once its record is committed, and
// concurrent commits share one fsync), no library logging, and memory
// settings around 60 MiB instead of badger's ~0.5 GB defaults.
func BadgerOptions(dir string) badger.Options {
	return badger.DefaultOptions(dir).
		WithLogger(nil).
		WithSyncWrites(true).
		WithMemTableSize(16 << 20).
		WithNumMemtables(2).
		WithBlockCacheSize(16 << 20).
		WithIndexCacheSize(8 << 20).
		WithValueLogFileSize(64 << 20)
}
