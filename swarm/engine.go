package swarm

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"

	"github.com/anacrolix/torrent"
	"github.com/anacrolix/torrent/metainfo"
)

// startEngine starts the BitTorrent client. Objects are not loaded as
// torrents until Seed or Fetch asks: idle objects cost no memory.
func (s *Swarm) startEngine(cfg Config) error {
	addr := cfg.ListenAddr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("swarm: listen address %q: %w", addr, err)
	}
	pn, err := net.LookupPort("tcp", port)
	if err != nil {
		return fmt.Errorf("swarm: listen address %q: %w", addr, err)
	}
	cc := torrent.NewDefaultClientConfig()
	cc.NoDHT = true
	cc.DisableTrackers = true
	cc.NoDefaultPortForwarding = true
	cc.DisableUTP = true // TCP only: uTP needs cgo here and adds nothing on a LAN
	cc.DisablePEX = true // peers come from D3S placement, not gossip
	cc.Seed = true
	cc.ListenHost = func(string) string { return host }
	cc.ListenPort = pn
	if ip, err := netip.ParseAddr(host); err == nil {
		// A literal address listens on its own family only.
		cc.DisableIPv6, cc.DisableIPv4 = ip.Is4(), ip.Is6() && !ip.Is4In6()
	}
	cc.DefaultStorage = store{s}
	cc.Slogger = slog.New(slog.DiscardHandler)
	if cfg.Debug {
		cc.Slogger = s.log.With("engine", "anacrolix")
	}
	if s.cl, err = torrent.NewClient(cc); err != nil {
		return fmt.Errorf("swarm: start engine: %w", err)
	}
	for _, a := range s.cl.ListenAddrs() {
		if ta, ok := a.(*net.TCPAddr); ok {
			s.addr = ta.AddrPort()
			break
		}
	}
	return nil
}

// Addr returns the address the BitTorrent engine listens on, for peers.
func (s *Swarm) Addr() netip.AddrPort { return s.addr }

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
	t, _ := s.cl.AddTorrentOpt(torrent.AddTorrentOpts{InfoHash: metainfo.Hash(id), InfoBytes: info})
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

func (s *Swarm) unload(id ID) {
	if t, ok := s.cl.Torrent(metainfo.Hash(id)); ok {
		t.Drop()
	}
}

// peerInfos turns addresses into anacrolix peers.
func peerInfos(peers []netip.AddrPort) []torrent.PeerInfo {
	out := make([]torrent.PeerInfo, 0, len(peers))
	for _, p := range peers {
		out = append(out, torrent.PeerInfo{Addr: net.TCPAddrFromAddrPort(p), Trusted: true})
	}
	return out
}
