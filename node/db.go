package node

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/options"
)

// openDB opens the node's badger database tuned for a small footprint
// (badger's defaults take ~0.5 GB), measured with 100 000 small objects
// (e2e TestScaleIdleRSSAndRestart): every commit synced, so an
// acknowledged write is durable (badger groups concurrent commits into
// one fsync), and small memtables. Besides:
//
//   - Tables of 2 MiB on every level (TableSizeMultiplier 1): badger
//     builds each table in memory, in buffers of twice its target size
//     and more, and a compaction runs up to five builders at once plus
//     the ones still being written out. With 8 MiB tables doubling per
//     level (32 MiB on the last) one compaction took over a GiB: VmHWM
//     1.85 GiB during the 100 000 PUTs, spikes to 0.9–1.2 GiB after a
//     restart. With 2 MiB tables: VmHWM 0.8–1.0 GiB during the PUTs
//     (mostly garbage from the requests themselves), 280–320 MiB after
//     a restart.
//   - No block compression, hence no block cache (badger needs one only
//     for compressed or encrypted tables) and no index cache (used only
//     for encrypted tables: indexes are read in place). Most of the
//     tables' bytes are inline objects, which compress poorly or are
//     compressed already; decompressing made every read allocate a
//     block, kept in a 32 MiB cache. Idle anonymous memory went from
//     160–170 MiB to 50–75 MiB.
//
// The tables stay mapped (badger v4 always maps them); pageout.go hands
// their pages back to the kernel.
func openDB(dir string, cfg Config) (*badger.DB, error) {
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
