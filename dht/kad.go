package dht

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/dgraph-io/badger/v4"
	kaddht "github.com/libp2p/go-libp2p-kad-dht"
	"github.com/libp2p/go-libp2p-kad-dht/amino"
	pb "github.com/libp2p/go-libp2p-kad-dht/pb"
	"github.com/libp2p/go-libp2p-kad-dht/records"
	p2precord "github.com/libp2p/go-libp2p-record"
	"github.com/libp2p/go-libp2p/core/peer"
)

// Defaults of Config.
const (
	// DefaultRepublishInterval is how often records are put again; kad-dht
	// forgets a record 48 h after it was last put.
	DefaultRepublishInterval = 12 * time.Hour
	// DefaultRepublishDelay is how long after Start the first republish
	// runs, so records reach the nodes met while joining.
	DefaultRepublishDelay = 30 * time.Second
	// DefaultPutTimeout bounds one peer's answer to a put.
	DefaultPutTimeout = 10 * time.Second
)

// Config configures a DHT.
type Config struct {
	// Host is the node's libp2p host. Required.
	Host *Host
	// DB is the node's badger database: kad-dht's records live under
	// DatastorePrefix, the records seen under SeenPrefix. Required.
	DB *badger.DB
	// BootstrapPeers are dialled by Start besides the peers the host
	// remembers (usually a join token's addresses).
	BootstrapPeers []peer.AddrInfo
	// RepublishInterval and RepublishDelay: see the defaults. A negative
	// RepublishInterval turns republishing off.
	RepublishInterval, RepublishDelay time.Duration
	// PutTimeout bounds one peer's answer to a put; zero means
	// DefaultPutTimeout.
	PutTimeout time.Duration
	// Redial bounds the loop that redials known members that are not
	// connected (redial.go); zero fields take the defaults.
	Redial RedialConfig
	// Logger receives the DHT's log; nil discards it.
	Logger *slog.Logger
}

// DHT is D3S's private Kademlia DHT: kad-dht in server mode under the
// "/d3s" protocol prefix, accepting only D3S records (record.Validator),
// keeping them in badger, and republishing them so they outlive kad-dht's
// expiry.
type DHT struct {
	cfg       Config
	kad       *kaddht.IpfsDHT
	values    *records.ValueStore
	msgr      *pb.ProtocolMessenger
	seen      seenStore
	redialer  *redialer
	validator p2precord.Validator
	log       *slog.Logger

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// New starts the DHT on cfg.Host; it does not dial anyone until Start or
// Bootstrap.
func New(cfg Config) (*DHT, error) {
	if cfg.Host == nil || cfg.DB == nil {
		return nil, errors.New("dht: config needs a host and a database")
	}
	cfg.setDefaults()
	validator := NewRecordValidator()
	store := NewDatastore(cfg.DB, DatastorePrefix)
	kad, err := kaddht.New(cfg.Host.Host,
		kaddht.ProtocolPrefix("/d3s"),
		kaddht.Mode(kaddht.ModeServer),
		kaddht.Validator(validator),
		kaddht.Datastore(store),
		kaddht.DisableProviders(),
		kaddht.BootstrapPeersFunc(cfg.Host.bootstrapPeers(cfg.BootstrapPeers)),
	)
	if err != nil {
		return nil, fmt.Errorf("dht: start kad-dht: %w", err)
	}
	msgr, err := pb.NewProtocolMessenger(kad.MessageSender())
	if err != nil {
		kad.Close()
		return nil, fmt.Errorf("dht: protocol messenger: %w", err)
	}
	d := &DHT{
		cfg: cfg, kad: kad, msgr: msgr, validator: validator,
		values: records.NewValueStore(store, validator, amino.DefaultMaxRecordAge),
		seen:   seenStore{db: cfg.DB},
		log:    cfg.Logger,
	}
	d.ctx, d.cancel = context.WithCancel(context.Background())
	d.redialer = d.newHostRedialer(cfg.Redial)
	return d, nil
}

func (cfg *Config) setDefaults() {
	if cfg.RepublishInterval == 0 {
		cfg.RepublishInterval = DefaultRepublishInterval
	}
	if cfg.RepublishDelay <= 0 {
		cfg.RepublishDelay = DefaultRepublishDelay
	}
	if cfg.PutTimeout <= 0 {
		cfg.PutTimeout = DefaultPutTimeout
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
}

// Kad returns the underlying kad-dht, for closest-peer lookups.
func (d *DHT) Kad() *kaddht.IpfsDHT { return d.kad }

// Start dials the bootstrap peers and the peers the host remembers, then
// starts the redial loop (redial.go) and the republish loop. Unreachable peers are logged, not fatal: a
// restarted node whose peers are down still serves what it holds, and
// kad-dht keeps retrying its bootstrap peers.
func (d *DHT) Start(ctx context.Context) {
	peers := d.cfg.Host.bootstrapPeers(d.cfg.BootstrapPeers)()
	if len(peers) > 0 {
		if err := d.Bootstrap(ctx, peers); err != nil {
			d.log.Warn("bootstrap", "peers", len(peers), "err", err)
		}
	}
	d.wg.Go(func() { d.redialer.run(d.ctx) })
	if d.cfg.RepublishInterval > 0 {
		d.wg.Go(d.republishLoop)
	}
}

// Close stops the republish loop and kad-dht; the host and the database
// stay open.
func (d *DHT) Close() error {
	d.cancel()
	d.wg.Wait()
	return d.kad.Close()
}

// bootstrapPeers returns the function kad-dht calls when its routing table
// runs empty: the configured peers, then every peer this host has met.
func (h *Host) bootstrapPeers(extra []peer.AddrInfo) func() []peer.AddrInfo {
	return func() []peer.AddrInfo {
		known, err := h.KnownPeers()
		if err != nil {
			h.log.Warn("load known peers", "err", err)
		}
		out := append([]peer.AddrInfo(nil), extra...)
		for _, p := range known {
			if p.ID != h.ID() {
				out = append(out, p)
			}
		}
		return out
	}
}
