package kv

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/options"
)

// Open opens the badger database in dir tuned for a small footprint
// (badger's defaults take ~0.5 GB): every commit synced, so an
// acknowledged write is durable (badger groups concurrent commits into
// one fsync); small memtables; 2 MiB tables on every level, since badger
// builds each table in memory and larger ones took over a GiB in one
// compaction; no compression, hence no block or index cache. The
// measurements behind each setting are in docs/ARCHITECTURE.md
// ("Departures"). The tables stay mapped (badger v4 always maps them):
// internal/pageout hands their pages back to the kernel.
//
// badger's own log is silent unless debug is set, when it goes to log
// at debug level.
func Open(dir string, log *slog.Logger, debug bool) (*badger.DB, error) {
	opts := badger.DefaultOptions(dir).
		WithSyncWrites(true).
		WithLogger(nil).
		WithMemTableSize(16 << 20).
		WithNumMemtables(2).
		WithNumLevelZeroTables(2).
		WithNumLevelZeroTablesStall(8).
		WithBaseTableSize(2 << 20).
		WithCompression(options.None).
		WithBlockCacheSize(0).
		WithIndexCacheSize(0).
		WithValueLogFileSize(128 << 20).
		WithValueThreshold(64 << 10).
		WithNumCompactors(2).
		WithNumGoroutines(4).
		WithMetricsEnabled(false)
	opts.TableSizeMultiplier = 1
	if debug && log != nil {
		opts = opts.WithLogger(badgerLogger{log.With("component", "badger")}).
			WithLoggingLevel(badger.DEBUG)
	}
	db, err := badger.Open(opts)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", dir, err)
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
