package node

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/d3s/d3s/dht"
	"github.com/d3s/d3s/node/placement"
)

// Config configures a Node.
type Config struct {
	// DataDir holds the node's database (db/), object data (objects/),
	// keys, join token and admin socket. It is created if missing.
	DataDir string
	// S3Addr is the TCP address of the S3 front end; port 0 picks a free
	// port (see Node.S3Addr).
	S3Addr string
	// P2PAddr is the libp2p listen address: a multiaddr
	// ("/ip4/0.0.0.0/tcp/4001") or host:port ("0.0.0.0:4001", ":4001").
	// "" means every interface and an ephemeral TCP port, so that other
	// machines can join; the network key keeps non-members out. Only TCP
	// works: a private network (PSK) rules QUIC out.
	P2PAddr string
	// JoinToken joins the network it names (the output of "d3sd token" on
	// a member): the network key is stored in the data dir and the token's
	// addresses are dialled. "" starts a new network on a fresh data dir,
	// or rejoins the stored one through the peers met before.
	JoinToken string
	// Staleness is how old a cached catalogue may be before a read
	// revalidates it against the DHT; 0 means catalog.DefaultStaleness.
	Staleness time.Duration
	// Consistency is ConsistencyStrong or ConsistencyEventual ("" means
	// strong): what a read on one node promises about writes
	// acknowledged on another (docs/ARCHITECTURE.md, "Consistency
	// promises"). Every member of a network should run the same mode.
	Consistency string
	// Replicas is R, how many members hold each object version: the R
	// whose peer IDs are XOR-closest to its infohash. 0 means
	// DefaultReplicas.
	Replicas int
	// SyncReplicas is how many durable copies, the writer's own included,
	// a PUT waits for before it is acknowledged (capped by the copies the
	// network can make); the rest replicate in the background. 0 means
	// DefaultSyncReplicas.
	SyncReplicas int
	// SeedIdle is how long an object loaded as a torrent to serve a
	// replicate or meta request stays loaded after the last one (plus a
	// second per MiB of its size); 0 means replicate.DefaultSeedIdle.
	SeedIdle time.Duration
	// ReplicaGC is how often the replicas whose versions left the
	// catalogue are collected (package collect); 0 means collect.DefaultSweep.
	ReplicaGC time.Duration
	// OrphanScan is how often the replicas no live version references
	// are looked for, for a holder that missed the notice of their
	// deletion (package collect); 0 means collect.DefaultOrphanScan.
	OrphanScan time.Duration
	// CacheSize bounds the bytes of objects kept after a remote read
	// (seeded while cached, least recently read evicted first); objects
	// this node must hold never count. 0 means swarm.DefaultCacheSize;
	// negative keeps no cache.
	CacheSize int64
	// RepairInterval is how often the repair loop checks that every
	// object this node holds has R copies on live members (package repair);
	// 0 means repair.DefaultInterval.
	RepairInterval time.Duration
	// ScrubInterval is how long one pass of the scrub, which re-verifies
	// every piece this node stores, is spread over; 0 means
	// repair.DefaultScrubInterval. ScrubRate caps its reads in bytes per second;
	// 0 means repair.DefaultScrubRate.
	ScrubInterval time.Duration
	ScrubRate     int64
	// TombstoneTTL is how long a delete marker stays in a catalogue
	// before compaction drops it; 0 means catalog.DefaultTombstoneTTL.
	TombstoneTTL time.Duration
	// Domain enables virtual-hosted-style S3 requests (bucket.Domain).
	Domain string
	// Region is the S3 region the node reports; "" means us-east-1.
	Region string
	// Logger receives the node's logs; nil discards them.
	Logger *slog.Logger
	// DebugStorage forwards the database's own log to Logger at debug
	// level; it is silent otherwise.
	DebugStorage bool

	// refuseReplicas starts the node refusing replicate requests (tests
	// of the repair loop: a holder that cannot take copies yet) until
	// n.repl.SetRefuse(false).
	refuseReplicas bool
	// repairCheckAge replaces repair.DefaultCheckAge when set (tests).
	repairCheckAge time.Duration
}

// DefaultConfig returns a Config serving S3 on 127.0.0.1:9000 and libp2p
// on an ephemeral port of every interface; DataDir must still be set.
func DefaultConfig() Config {
	return Config{S3Addr: "127.0.0.1:9000"}
}

// Validate reports the first problem in c.
func (c Config) Validate() error {
	if c.DataDir == "" {
		return errors.New("node: config: DataDir is required")
	}
	if _, _, err := net.SplitHostPort(c.S3Addr); err != nil {
		return fmt.Errorf("node: config: S3Addr %q: %w", c.S3Addr, err)
	}
	if _, err := P2PListenAddr(c.P2PAddr); err != nil {
		return fmt.Errorf("node: config: %w", err)
	}
	if c.JoinToken != "" {
		if _, err := dht.ParseToken(c.JoinToken); err != nil {
			return fmt.Errorf("node: config: join token: %w", err)
		}
	}
	if c.Staleness < 0 || c.SeedIdle < 0 || c.ReplicaGC < 0 || c.OrphanScan < 0 || c.RepairInterval < 0 || c.ScrubInterval < 0 || c.ScrubRate < 0 || c.TombstoneTTL < 0 {
		return fmt.Errorf("node: config: negative duration or rate (Staleness %v, SeedIdle %v, ReplicaGC %v, OrphanScan %v, RepairInterval %v, ScrubInterval %v, ScrubRate %d, TombstoneTTL %v)",
			c.Staleness, c.SeedIdle, c.ReplicaGC, c.OrphanScan, c.RepairInterval, c.ScrubInterval, c.ScrubRate, c.TombstoneTTL)
	}
	if c.Consistency != "" && c.Consistency != ConsistencyStrong && c.Consistency != ConsistencyEventual {
		return fmt.Errorf("node: config: consistency %q: want %q or %q", c.Consistency, ConsistencyStrong, ConsistencyEventual)
	}
	return c.ValidateReplicas()
}

// Consistency modes (Config.Consistency).
const (
	ConsistencyStrong   = "strong"
	ConsistencyEventual = "eventual"
)

// ValidateReplicas reports whether Replicas and SyncReplicas make sense
// together: neither negative, and no more sync copies than holders.
func (c Config) ValidateReplicas() error {
	if c.Replicas < 0 || c.SyncReplicas < 0 {
		return fmt.Errorf("node: config: negative Replicas %d or SyncReplicas %d", c.Replicas, c.SyncReplicas)
	}
	r := c.Replicas
	if r == 0 {
		r = DefaultReplicas
	}
	if c.SyncReplicas > r {
		return fmt.Errorf("node: config: SyncReplicas %d exceeds Replicas %d", c.SyncReplicas, r)
	}
	return nil
}

// CheckJoinToken reports whether s is a well-formed join token, so that a
// command line can reject a mistyped one before starting anything.
func CheckJoinToken(s string) error {
	if _, err := dht.ParseToken(s); err != nil {
		return fmt.Errorf("invalid join token: %w", err)
	}
	return nil
}

// Defaults of the components' settings, for the command line's help.
const (
	// DefaultReplicas is Config.Replicas when unset.
	DefaultReplicas = placement.DefaultReplicas
	// DefaultSyncReplicas is Config.SyncReplicas when unset.
	DefaultSyncReplicas = placement.DefaultSyncReplicas
)
