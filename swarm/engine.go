package swarm

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/anacrolix/torrent"
	"github.com/anacrolix/torrent/metainfo"

	"github.com/d3s/d3s/swarm/internal/peername"
)

// startEngine starts the BitTorrent client on the configured Transport
// (plain TCP on cfg.ListenAddr when there is none): the engine's own TCP
// and uTP sockets are off, every connection goes through the transport.
// Objects are not loaded as torrents until Seed or a download asks: idle
// objects cost no memory.
func (s *Swarm) startEngine(cfg Config) error {
	s.tr = cfg.Transport
	if s.tr == nil {
		tcp, err := listenTCP(cfg.ListenAddr)
		if err != nil {
			return err
		}
		s.tr, s.addr = tcp, tcp.addr
	}
	s.names = peername.New()
	cc := torrent.NewDefaultClientConfig()
	cc.NoDHT = true
	cc.DisableTrackers = true
	cc.NoDefaultPortForwarding = true
	cc.DisableTCP = true // the transport carries every connection
	cc.DisableUTP = true
	cc.DisablePEX = true // peers come from D3S placement, not gossip
	cc.DisableAcceptRateLimiting = true
	cc.Seed = true
	cc.DefaultStorage = store{s}
	cc.Callbacks.ReceivedUsefulData = append(cc.Callbacks.ReceivedUsefulData, s.countUseful)
	cc.Slogger = slog.New(slog.DiscardHandler)
	if cfg.Debug {
		cc.Slogger = s.log.With("engine", "anacrolix")
	}
	var err error
	if s.cl, err = torrent.NewClient(cc); err != nil {
		s.tr.Listener().Close()
		return fmt.Errorf("swarm: start engine: %w", err)
	}
	s.ln = peername.Listener{Listener: s.tr.Listener()}
	s.cl.AddListener(s.ln)
	s.cl.AddDialer(peername.NewDialer(s.tr.Dial, s.names))
	return nil
}

// Self returns this swarm's peer name: Transport.Self(), or "ip:port" of
// the TCP listener.
func (s *Swarm) Self() string { return s.tr.Self() }

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
	s.loadMu.Lock()
	t, _ := s.cl.AddTorrentOpt(torrent.AddTorrentOpts{InfoHash: metainfo.Hash(id), InfoBytes: info})
	s.loadMu.Unlock()
	select {
	case <-t.GotInfo():
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// Unseed unloads an object's torrent; the stored bytes stay.
func (s *Swarm) Unseed(ctx context.Context, id ID) error {
	s.unload(id)
	return nil
}

// Seeding reports whether the object is loaded as an active torrent.
func (s *Swarm) Seeding(id ID) bool {
	_, ok := s.cl.Torrent(metainfo.Hash(id))
	return ok
}

// unload drops id's loaded torrent unless it is a download's own, running
// or committed with readers still attached (the download drops it when
// its last user leaves): dropping it would fail those readers with
// "torrent closed".
func (s *Swarm) unload(id ID) {
	s.loadMu.Lock()
	defer s.loadMu.Unlock()
	t, ok := s.cl.Torrent(metainfo.Hash(id))
	if !ok {
		return
	}
	if p := s.owned[id]; p != nil && p.t == t {
		return
	}
	t.Drop()
}
