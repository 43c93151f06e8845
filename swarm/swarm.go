package swarm

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"sync"

	"github.com/dgraph-io/badger/v4"
)

// ID names one stored object version: the infohash of its v1 torrent.
// Identical bytes give the same ID, so content is stored once.
type ID [20]byte

// String returns the ID in lower-case hex, as in magnet links.
func (id ID) String() string { return hex.EncodeToString(id[:]) }

// ParseID parses a 40-character hex ID.
func ParseID(s string) (ID, error) {
	var id ID
	if len(s) != 2*len(id) {
		return id, fmt.Errorf("parse id %q: want %d hex characters", s, 2*len(id))
	}
	if _, err := hex.Decode(id[:], []byte(s)); err != nil {
		return id, fmt.Errorf("parse id %q: %w", s, err)
	}
	return id, nil
}

// Object describes stored bytes.
type Object struct {
	ID          ID
	Size        int64
	PieceLength int64
	MD5         [16]byte // zero for a Concat result
	SHA256      [32]byte
}

// Expect lists digests the bytes given to Put must have; nil fields are not
// checked.
type Expect struct {
	MD5    []byte
	SHA256 []byte
}

// DefaultInlineMax is the default Config.InlineMax.
const DefaultInlineMax = 8 << 10

// Config configures a Swarm.
type Config struct {
	// Dir holds object data files; names derive from IDs, never from keys.
	Dir string
	// DB is the node's database; the swarm keeps its state under keys
	// starting with "swarm/". It must be opened with SyncWrites, since an
	// object exists once its record is committed (see BadgerOptions).
	DB     *badger.DB
	Logger *slog.Logger
	// Transport carries peer connections; nil means plain TCP on
	// ListenAddr, peers named "ip:port".
	Transport Transport
	// ListenAddr is the TCP listen address when Transport is nil,
	// host:port; the empty string means "127.0.0.1:0" and port 0 picks a
	// free port.
	ListenAddr string
	// InlineMax is the largest object kept inside the database instead of
	// a file: 0 means DefaultInlineMax, a negative value disables inlining.
	InlineMax int64
	// Debug lets the BitTorrent engine log through Logger.
	Debug bool
	// CacheSize bounds the bytes of cached objects: those a remote read
	// stored with no reference (OpenRemote). Past it the least recently
	// read go first; objects with references are never evicted. 0 means
	// DefaultCacheSize; a negative value keeps no cache (a completed
	// remote read is evicted once its readers close).
	CacheSize int64
	// OnCorrupt, when set, is called with the ID of a stored object
	// whose bytes failed verification (a read, Scrub, or serving a
	// peer). It must not block; the caller repairs (Repair).
	OnCorrupt func(ID)
}

// DefaultCacheSize is the default Config.CacheSize: 1 GiB.
const DefaultCacheSize = 1 << 30

// Swarm stores object versions as v1 torrents and serves them.
type Swarm struct {
	data      dataDir // Config.Dir: files.go
	db        *badger.DB
	log       *slog.Logger
	inlineMax int64
	locks     [256]sync.Mutex // by ID[0]: serialises creating and deleting one ID's data
	group     *groupCommitter
	cache     *cache // objects with no reference, least recently used first

	eng *engine // the BitTorrent client, loaded torrents, downloads

	ctx  context.Context    // lives until Close: downloads and the sweep
	stop context.CancelFunc // ends background work
	wg   sync.WaitGroup     // the sweep

	// onCorrupt is Config.OnCorrupt, or nil (scrub.go: reportCorrupt).
	onCorrupt func(ID)
}

// New opens the swarm in cfg.Dir.
func New(cfg Config) (*Swarm, error) {
	if cfg.Dir == "" || cfg.DB == nil {
		return nil, fmt.Errorf("swarm: config needs Dir and DB")
	}
	s := &Swarm{
		data:      dataDir(cfg.Dir),
		db:        cfg.DB,
		log:       cfg.Logger,
		inlineMax: cfg.InlineMax,
		onCorrupt: cfg.OnCorrupt,
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.log = s.log.With("component", "swarm")
	if s.inlineMax == 0 {
		s.inlineMax = DefaultInlineMax
	}
	if err := s.data.prepare(); err != nil {
		return nil, err
	}
	s.cache = newCache(s, cfg.CacheSize)
	if err := s.cache.load(); err != nil {
		return nil, err
	}
	s.ctx, s.stop = context.WithCancel(context.Background())
	var err error
	if s.eng, err = newEngine(s.ctx, cfg, s.log, store{s}, s.data.tmp(), s.verifyAndCommit); err != nil {
		s.stop()
		return nil, err
	}
	s.group = newGroupCommitter(s.db)
	s.cache.start(s.ctx)
	s.wg.Go(func() {
		if _, err := s.sweepOrphans(s.ctx); err != nil && s.ctx.Err() == nil {
			s.log.Warn("orphan sweep", "err", err)
		}
	})
	return s, nil
}

// Close stops the swarm.
func (s *Swarm) Close() error {
	if !s.eng.markClosed() {
		return nil
	}
	s.stop()
	s.wg.Wait()
	s.eng.wg.Wait()
	s.cache.close()
	s.group.close()
	return s.eng.close()
}

// Open returns a reader of the object's bytes. ErrNotFound.
func (s *Swarm) Open(ctx context.Context, id ID) (io.ReadSeekCloser, error) {
	rec, err := s.record(id)
	if err != nil {
		return nil, err
	}
	if rec.refs == 0 {
		s.cache.touch(id)
	}
	return s.openRecord(ctx, id, rec)
}

// Stat describes a stored object. ErrNotFound.
func (s *Swarm) Stat(ctx context.Context, id ID) (Object, error) {
	rec, err := s.record(id)
	if err != nil {
		return Object{}, err
	}
	return rec.object(id), nil
}
