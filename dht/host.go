package dht

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/d3s/d3s/dht/record"
	"github.com/dgraph-io/badger/v4"
	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/pnet"
	"github.com/libp2p/go-libp2p/core/protocol"
	"github.com/libp2p/go-libp2p/p2p/muxer/yamux"
	"github.com/libp2p/go-libp2p/p2p/net/connmgr"
	"github.com/libp2p/go-libp2p/p2p/transport/tcp"
	ma "github.com/multiformats/go-multiaddr"
)

// DefaultListenAddr is the libp2p listen address when HostConfig gives
// none: every interface, an ephemeral TCP port. The network key keeps
// non-members out whatever the interface.
const DefaultListenAddr = "/ip4/0.0.0.0/tcp/0"

// HostConfig configures a Host.
type HostConfig struct {
	// Key is the node's identity (LoadOrCreateNodeKey). Required.
	Key crypto.PrivKey
	// NetworkKey is the private-network PSK. Required.
	NetworkKey record.NetworkKey
	// ListenAddrs are the multiaddrs to listen on; empty means
	// DefaultListenAddr. Only TCP works: go-libp2p's QUIC and WebRTC
	// transports refuse a PSK.
	ListenAddrs []string
	// DB is the node's badger database; the addresses of peers seen are
	// kept in it under PeersPrefix. Required.
	DB *badger.DB
	// Protocols are D3S stream protocols that get the raised resource
	// limits besides KadProtocol.
	Protocols []protocol.ID
	// ConnsLow and ConnsHigh are the connection manager's watermarks;
	// zero means 64 and 256.
	ConnsLow, ConnsHigh int
	// Logger receives the host's log; nil discards it.
	Logger *slog.Logger
}

// Host is a libp2p host on a D3S private network: TCP only, the network key
// as PSK, no relay, NAT port mapping or mDNS, raised resource limits for
// D3S protocols, and the addresses of every peer it identifies stored in
// badger so that a restarted node rejoins without the join token.
type Host struct {
	host.Host
	peers *peerBook
	log   *slog.Logger
}

// NewHost starts a host listening on cfg.ListenAddrs.
func NewHost(cfg HostConfig) (*Host, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	opts, err := cfg.options()
	if err != nil {
		return nil, err
	}
	h, err := libp2p.New(opts...)
	if err != nil {
		return nil, fmt.Errorf("libp2p host: %w", err)
	}
	book, err := newPeerBook(h, cfg.DB, log)
	if err != nil {
		h.Close()
		return nil, err
	}
	log.Info("libp2p host started", "peer", h.ID(), "addrs", h.Addrs())
	return &Host{Host: h, peers: book, log: log}, nil
}

func (cfg *HostConfig) validate() error {
	switch {
	case cfg.Key == nil:
		return errors.New("dht: host config: no node key")
	case cfg.DB == nil:
		return errors.New("dht: host config: no database")
	case cfg.NetworkKey == (record.NetworkKey{}):
		return errors.New("dht: host config: no network key")
	}
	if len(cfg.ListenAddrs) == 0 {
		cfg.ListenAddrs = []string{DefaultListenAddr}
	}
	if cfg.ConnsLow <= 0 || cfg.ConnsHigh < cfg.ConnsLow {
		cfg.ConnsLow, cfg.ConnsHigh = 64, 256
	}
	return nil
}

// options turns cfg into libp2p options.
func (cfg HostConfig) options() ([]libp2p.Option, error) {
	for _, a := range cfg.ListenAddrs {
		if _, err := ma.NewMultiaddr(a); err != nil {
			return nil, fmt.Errorf("dht: listen address %q: %w", a, err)
		}
	}
	rm, err := newResourceManager(cfg.Protocols)
	if err != nil {
		return nil, err
	}
	cm, err := connmgr.NewConnManager(cfg.ConnsLow, cfg.ConnsHigh, connmgr.WithGracePeriod(time.Minute))
	if err != nil {
		return nil, fmt.Errorf("connection manager: %w", err)
	}
	psk := pnet.PSK(append([]byte(nil), cfg.NetworkKey[:]...))
	return []libp2p.Option{
		libp2p.Identity(cfg.Key),
		libp2p.PrivateNetwork(psk),
		libp2p.Transport(tcp.NewTCPTransport),
		libp2p.ListenAddrStrings(cfg.ListenAddrs...),
		libp2p.ResourceManager(rm),
		libp2p.ConnectionManager(cm),
		libp2p.Muxer(yamux.ID, muxer()),
		libp2p.DisableRelay(),
		libp2p.DisableMetrics(),
	}, nil
}

// KnownPeers returns the peers this node has identified before, with the
// addresses they listened on, most recently seen first.
func (h *Host) KnownPeers() ([]peer.AddrInfo, error) {
	return h.peers.load()
}

// Close stops the host.
func (h *Host) Close() error {
	h.peers.close()
	return h.Host.Close()
}
