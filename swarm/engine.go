package swarm

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"sync"

	"github.com/anacrolix/torrent"
	"github.com/anacrolix/torrent/metainfo"
	"github.com/anacrolix/torrent/storage"

	"github.com/d3s/d3s/swarm/internal/peername"
)

// engine owns the BitTorrent client and what is loaded in it: the
// torrents seeding stored objects and the downloads in progress
// (download.go). The swarm reaches that state only through its methods.
type engine struct {
	cl    *torrent.Client
	tr    Transport
	ln    peername.Listener
	names *peername.Names
	addr  netip.AddrPort // the default TCP transport's address
	log   *slog.Logger
	tmp   string // directory of download files (Swarm.tempFile's)

	ctx context.Context // the swarm's lifetime: downloads run on it
	wg  sync.WaitGroup  // running downloads
	// commit verifies and commits a complete download (verifyAndCommit).
	commit func(ctx context.Context, id ID, fi fetchInfo, p *partial) error

	mu      sync.Mutex
	fetches map[ID]*partial // downloads in progress, served by the storage
	closed  bool
	// loadMu serialises loading and dropping torrents: a download's own
	// torrent must never be dropped by an Evict, Release or Unseed of the
	// same ID, nor be a torrent loaded from the stored copy (unload,
	// startTorrent).
	loadMu sync.Mutex
	// owned maps an ID to the download whose torrent is loaded for it,
	// until that download unloads it (under loadMu): a download stays
	// loaded after it leaves fetches (committed) while readers use it.
	owned map[ID]*partial

	// fetchedFrom, when set (tests), receives the useful bytes each peer
	// sent for a completed download.
	fetchedFrom func(id ID, bytes map[string]int64)
}

// newEngine starts the BitTorrent client on the configured Transport
// (plain TCP on cfg.ListenAddr when there is none): the engine's own TCP
// and uTP sockets are off, every connection goes through the transport.
// Objects are not loaded as torrents until Seed or a download asks: idle
// objects cost no memory. Downloads run on ctx, write their files in tmp
// and end with commit.
func newEngine(ctx context.Context, cfg Config, log *slog.Logger, st storage.ClientImpl, tmp string,
	commit func(context.Context, ID, fetchInfo, *partial) error) (*engine, error) {
	e := &engine{tr: cfg.Transport, log: log, tmp: tmp, ctx: ctx, commit: commit, names: peername.New(),
		fetches: make(map[ID]*partial), owned: make(map[ID]*partial)}
	if e.tr == nil {
		tcp, err := listenTCP(cfg.ListenAddr)
		if err != nil {
			return nil, err
		}
		e.tr, e.addr = tcp, tcp.addr
	}
	cc := torrent.NewDefaultClientConfig()
	cc.NoDHT = true
	cc.DisableTrackers = true
	cc.NoDefaultPortForwarding = true
	cc.DisableTCP = true // the transport carries every connection
	cc.DisableUTP = true
	cc.DisablePEX = true // peers come from D3S placement, not gossip
	cc.DisableAcceptRateLimiting = true
	cc.Seed = true
	cc.DefaultStorage = st
	cc.Callbacks.ReceivedUsefulData = append(cc.Callbacks.ReceivedUsefulData, e.countUseful)
	cc.Slogger = slog.New(slog.DiscardHandler)
	if cfg.Debug {
		cc.Slogger = log.With("engine", "anacrolix")
	}
	var err error
	if e.cl, err = torrent.NewClient(cc); err != nil {
		e.tr.Listener().Close()
		return nil, fmt.Errorf("swarm: start engine: %w", err)
	}
	e.ln = peername.Listener{Listener: e.tr.Listener()}
	e.cl.AddListener(e.ln)
	e.cl.AddDialer(peername.NewDialer(e.tr.Dial, e.names))
	return e, nil
}

// markClosed refuses new downloads from now on, and reports false if the
// engine was already closed.
func (e *engine) markClosed() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return false
	}
	e.closed = true
	return true
}

func (e *engine) isClosed() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.closed
}

// close stops the client and its listener, once downloads have ended.
func (e *engine) close() error {
	errs := e.cl.Close()
	if err := e.ln.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return fmt.Errorf("swarm: close engine: %w", errs[0])
	}
	return nil
}

// seed loads a stored object, info its info dictionary, as a torrent.
func (e *engine) seed(ctx context.Context, id ID, info []byte) error {
	e.loadMu.Lock()
	t, _ := e.cl.AddTorrentOpt(torrent.AddTorrentOpts{InfoHash: metainfo.Hash(id), InfoBytes: info})
	e.loadMu.Unlock()
	select {
	case <-t.GotInfo():
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// seeding reports whether id is loaded as a torrent.
func (e *engine) seeding(id ID) bool {
	_, ok := e.cl.Torrent(metainfo.Hash(id))
	return ok
}

// unload drops id's loaded torrent unless it is a download's own, running
// or committed with readers still attached (the download drops it when
// its last user leaves): dropping it would fail those readers with
// "torrent closed".
func (e *engine) unload(id ID) {
	e.loadMu.Lock()
	defer e.loadMu.Unlock()
	t, ok := e.cl.Torrent(metainfo.Hash(id))
	if !ok {
		return
	}
	if p := e.owned[id]; p != nil && p.t == t {
		return
	}
	t.Drop()
}

// unloadDamaged unloads a torrent loaded for id before its repair starts,
// and reports whether there was one. Any torrent loaded from here on
// finds the repair's download in fetches and uses its storage.
func (e *engine) unloadDamaged(id ID) bool {
	seeding := e.seeding(id)
	e.unload(id)
	return seeding
}

// tempFile creates a download file that New removes if a crash leaves it.
func (e *engine) tempFile() (*os.File, error) { return os.CreateTemp(e.tmp, "put-*") }

// Self returns this swarm's peer name: Transport.Self(), or "ip:port" of
// the TCP listener.
func (s *Swarm) Self() string { return s.eng.tr.Self() }

// Seed loads a stored object as an active torrent so peers can download
// it. ErrNotFound.
func (s *Swarm) Seed(ctx context.Context, id ID) error {
	if _, err := s.record(id); err != nil {
		return err
	}
	info, err := s.getValue(prefixInfo, id)
	if err != nil {
		return err
	}
	return s.eng.seed(ctx, id, info)
}

// Unseed unloads an object's torrent; the stored bytes stay.
func (s *Swarm) Unseed(ctx context.Context, id ID) error {
	s.eng.unload(id)
	return nil
}

// Seeding reports whether the object is loaded as an active torrent.
func (s *Swarm) Seeding(id ID) bool { return s.eng.seeding(id) }
