package ledger

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"log/slog"
	"sync"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/d3s/d3s/internal/kv"
	"github.com/d3s/d3s/swarm"
)

// Key prefixes in badger (see the package doc).
const (
	replicaPrefix   = "node/replica/"
	candidatePrefix = "node/gc/"
	handedPrefix    = "node/handed/"
)

// Refs is the reference count the ledger releases on: the swarm.
type Refs interface {
	// Release drops one reference on id.
	Release(ctx context.Context, id swarm.ID) error
}

// Config configures a Ledger.
type Config struct {
	// DB holds the ledger's keys.
	DB *badger.DB
	// Refs is the swarm whose references the ledger releases.
	Refs Refs
	// Self is this node's peer ID, the Writer of its own versions.
	Self string
	// Logger receives warnings; nil discards them.
	Logger *slog.Logger
}

// Ledger is a node's reference bookkeeping (see the package doc).
type Ledger struct {
	db   *badger.DB
	refs Refs
	self string
	log  *slog.Logger

	// mu serialises MarkReplica, MarkCandidate, Collect and DropReplica.
	mu sync.Mutex
	// fetching counts the replica fetches running per infohash (under
	// mu; BeginFetch).
	fetching map[swarm.ID]int
	// handMu serialises HandOver and ReleaseEntry of own versions.
	handMu sync.Mutex
}

// New returns the ledger stored in cfg.DB.
func New(cfg Config) *Ledger {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Ledger{db: cfg.DB, refs: cfg.Refs, self: cfg.Self, log: log, fetching: make(map[swarm.ID]int)}
}

// Release drops a swarm reference even if ctx is cancelled: a reference
// that is not released keeps bytes no entry points to. A failure is only
// logged; the caller's operation already succeeded or failed on its own.
func (l *Ledger) Release(ctx context.Context, id swarm.ID) {
	if err := l.refs.Release(context.WithoutCancel(ctx), id); err != nil {
		l.log.Warn("release object", "id", hex.EncodeToString(id[:]), "err", err)
	}
}

func replicaKey(id swarm.ID) string   { return replicaPrefix + hex.EncodeToString(id[:]) }
func candidateKey(id swarm.ID) string { return candidatePrefix + hex.EncodeToString(id[:]) }

// timeValue encodes a time as 8-byte Unix nanoseconds.
func timeValue(at time.Time) []byte {
	return binary.BigEndian.AppendUint64(nil, uint64(at.UnixNano()))
}

// timeOf decodes a timeValue; a malformed or empty value (a replica
// recorded before the index kept the time) is the zero time, which makes
// it old and a candidate due.
func timeOf(val []byte) time.Time {
	if len(val) != 8 {
		return time.Time{}
	}
	return time.Unix(0, int64(binary.BigEndian.Uint64(val)))
}

// has reports whether key is present in txn.
func has(txn *badger.Txn, key string) (bool, error) {
	_, found, err := kv.Get(txn, key)
	return found, err
}
