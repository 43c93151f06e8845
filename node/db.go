package node

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/dgraph-io/badger/v4"
)

// openDB opens the node's badger database tuned for a small, idle
// footprint (badger's defaults take ~0.5 GB): every commit synced, so an
// acknowledged write is durable (badger groups concurrent commits into
// one fsync), small memtables and caches.
func openDB(dir string, cfg Config) (*badger.DB, error) {
	opts := badger.DefaultOptions(dir).
		WithSyncWrites(true).
		WithLogger(nil).
		WithMemTableSize(16 << 20).
		WithNumMemtables(2).
		WithNumLevelZeroTables(2).
		WithNumLevelZeroTablesStall(8).
		WithBaseTableSize(8 << 20).
		WithBlockCacheSize(32 << 20).
		WithIndexCacheSize(16 << 20).
		WithValueLogFileSize(128 << 20).
		WithValueThreshold(64 << 10).
		WithNumCompactors(2).
		WithNumGoroutines(4).
		WithMetricsEnabled(false)
	if cfg.DebugStorage && cfg.Logger != nil {
		opts = opts.WithLogger(badgerLogger{cfg.Logger.With("component", "badger")}).
			WithLoggingLevel(badger.DEBUG)
	}
	db, err := badger.Open(opts)
	if err != nil {
		return nil, fmt.Errorf("node: open database %s: %w", dir, err)
	}
	return db, nil
}

// badgerLogger forwards badger's log to slog at debug level.
type badgerLogger struct{ log *slog.Logger }

func (l badgerLogger) Errorf(f string, a ...any)   { l.logf(f, a) }
func (l badgerLogger) Warningf(f string, a ...any) { l.logf(f, a) }
func (l badgerLogger) Infof(f string, a ...any)    { l.logf(f, a) }
func (l badgerLogger) Debugf(f string, a ...any)   { l.logf(f, a) }

func (l badgerLogger) logf(f string, a []any) {
	l.log.Log(context.Background(), slog.LevelDebug, fmt.Sprintf(f, a...))
}
