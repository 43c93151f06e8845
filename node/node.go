package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/d3s/d3s/internal/lifetime"
	"github.com/d3s/d3s/node/collect"
	"github.com/d3s/d3s/node/ledger"
	"github.com/d3s/d3s/node/placement"
	"github.com/d3s/d3s/node/quorum"
	"github.com/d3s/d3s/node/remote"
	"github.com/d3s/d3s/node/repair"
	"github.com/d3s/d3s/node/replicate"

	"github.com/dgraph-io/badger/v4"

	"github.com/d3s/d3s/catalog"
	"github.com/d3s/d3s/dht"
	"github.com/d3s/d3s/internal/kv"
	"github.com/d3s/d3s/node/admin"
	"github.com/d3s/d3s/node/catalognet"
	"github.com/d3s/d3s/node/p2p"
	"github.com/d3s/d3s/node/users"
	"github.com/d3s/d3s/s3"
	"github.com/d3s/d3s/swarm"
)

// Node is one D3S node: the S3 front end over the catalog and swarm, on a
// libp2p host and DHT shared with the other members of its network. It
// implements s3.ObjectStore.
type Node struct {
	cfg   Config
	log   *slog.Logger
	root  *slog.Logger // the logger handed to the components
	mem   membership
	db    *badger.DB
	swarm *swarm.Swarm
	bt    *p2p.LateTransport // the swarm's transport: libp2p streams once Start attaches the host
	cat   *catalog.Catalog
	users *users.DB
	first *users.Credentials

	// The components, built in New and started on the network by Start.
	life    *lifetime.Group // the node's lifetime: loops and background work
	place   *placement.Placement
	ledger  *ledger.Ledger
	repl    *replicate.Replicator
	remote  *remote.Reader
	repair  *repair.Repairer
	collect *collect.Collector

	// Set by Start.
	host    *dht.Host
	hostp   atomic.Pointer[dht.Host] // host, for readers outside Start
	dht     *dht.DHT
	blobs   *catalognet.Blobs
	quorum  *quorum.Quorum // strong mode only
	catSync bool

	rates rateSampler
	// syncWG counts the user sync's goroutines, waited for by Close.
	syncWG sync.WaitGroup

	mu      sync.Mutex
	started bool
	http    *http.Server
	s3Addr  string
	// s3Requests counts the S3 requests received: the page-out loop
	// leaves the database's working set alone while it grows.
	s3Requests atomic.Int64
	adminLn    net.Listener
	closed     bool
}

var _ s3.ObjectStore = (*Node)(nil)

// New opens the node's state in cfg.DataDir: the keys (the network key
// from cfg.JoinToken when joining), the database, the swarm, the catalog
// and the users. The founder of a network gets a first user on a fresh
// data dir; a node that joined never creates one.
func New(cfg Config) (*Node, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	root := cfg.Logger
	if root == nil {
		root = slog.New(slog.DiscardHandler)
	}
	n := &Node{cfg: cfg, root: root, log: root.With("component", "node"), life: lifetime.New()}
	if err := n.open(); err != nil {
		n.life.Cancel()
		n.closeStores()
		return nil, err
	}
	return n, nil
}

// open opens the stores in order; on error the caller closes what opened.
func (n *Node) open() error {
	if err := os.MkdirAll(n.cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("node: %w", err)
	}
	var err error
	if n.mem, err = loadMembership(n.cfg.DataDir, n.cfg.JoinToken); err != nil {
		return err
	}
	if n.db, err = kv.Open(filepath.Join(n.cfg.DataDir, "db"), n.cfg.Logger, n.cfg.DebugStorage); err != nil {
		return fmt.Errorf("node: %w", err)
	}
	n.users = users.Open(n.db, n.mem.key, n.root)
	n.bt = p2p.NewLateTransport(n.mem.id)
	n.swarm, err = swarm.New(swarm.Config{
		Dir: filepath.Join(n.cfg.DataDir, "objects"), DB: n.db, Logger: n.root, Transport: n.bt,
		CacheSize: n.cfg.CacheSize,
		// The repair component takes the reports; it is built right
		// after the swarm opens, before anything is read.
		OnCorrupt: func(id swarm.ID) {
			if r := n.repair; r != nil {
				r.OnCorrupt(id)
			}
		},
	})
	if err != nil {
		return fmt.Errorf("node: open swarm: %w", err)
	}
	if n.cat, err = catalog.New(catalog.Config{DB: n.db, NodeID: n.mem.id.String(), Logger: n.root, TombstoneTTL: n.cfg.TombstoneTTL}); err != nil {
		return err
	}
	n.buildComponents()
	if !n.mem.joined {
		n.first, err = n.users.EnsureFirstUser(n.life.Context())
	}
	return err
}

// buildComponents builds the components over the stores, each with its
// explicit dependencies: placement and the ledger first, which the others
// share; Start puts them on the network.
func (n *Node) buildComponents() {
	n.place = placement.New(placement.Config{Self: n.mem.id, Replicas: n.cfg.Replicas, SyncReplicas: n.cfg.SyncReplicas, Logger: n.log})
	n.ledger = ledger.New(ledger.Config{DB: n.db, Refs: n.swarm, Self: n.mem.id.String(), Logger: n.log})
	n.repl = replicate.New(replicate.Config{
		DB: n.db, Swarm: n.swarm, Ledger: n.ledger, Placement: n.place, Life: n.life, Logger: n.root,
		SeedIdle: n.cfg.SeedIdle, Refuse: n.cfg.refuseReplicas,
	})
	n.collect = collect.New(collect.Config{
		Catalog: n.cat, Ledger: n.ledger, Placement: n.place, Users: userIDs(n.users), Life: n.life, Logger: n.root,
		Sweep: n.cfg.ReplicaGC, OrphanScan: n.cfg.OrphanScan, BlobObject: catalognet.BlobObject,
	})
	n.remote = remote.New(remote.Config{Swarm: n.swarm, Placement: n.place, Seeder: n.repl, Damaged: func(id swarm.ID) bool { return n.repair.Damaged(id) }, Life: n.life, Logger: n.root})
	n.repair = repair.New(repair.Config{
		Swarm: n.swarm, Catalog: n.cat, Ledger: n.ledger, Placement: n.place, Queue: n.repl, Finder: n.remote,
		Users: userIDs(n.users), LiveRefs: n.collect.LiveRefs, Life: n.life, Logger: n.root,
		Interval: n.cfg.RepairInterval, CheckAge: n.cfg.repairCheckAge,
		ScrubInterval: n.cfg.ScrubInterval, ScrubRate: n.cfg.ScrubRate,
	})
}

// userIDs lists the access key IDs of the users db knows.
func userIDs(db *users.DB) func(context.Context) ([]string, error) {
	return func(ctx context.Context) ([]string, error) {
		us, err := db.List(ctx)
		if err != nil {
			return nil, err
		}
		ids := make([]string, len(us))
		for i, u := range us {
			ids[i] = u.AccessKeyID
		}
		return ids, nil
	}
}

// FirstUser returns the credentials of the user created by this start on
// a fresh data dir, or nil: they are shown once and never stored in clear.
func (n *Node) FirstUser() *users.Credentials { return n.first }

// PeerID returns the node's libp2p peer ID, the writer ID of its entries.
func (n *Node) PeerID() string { return n.mem.id.String() }

// Start joins the network (libp2p host, DHT, user and catalogue sync),
// serves S3 on cfg.S3Addr and the admin socket; all stop at Close. After
// a failed Start the node must be closed.
func (n *Node) Start(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	n.mu.Lock()
	if n.closed || n.started {
		n.mu.Unlock()
		return errors.New("node: already started or closed")
	}
	n.started = true
	n.mu.Unlock()
	ln, err := net.Listen("tcp", n.cfg.S3Addr)
	if err != nil {
		return fmt.Errorf("node: listen s3: %w", err)
	}
	if err := n.startP2P(ctx); err != nil {
		ln.Close()
		return err
	}
	if err := n.startAdmin(); err != nil {
		ln.Close()
		return err
	}
	srv := s3.NewServer(n, n.users, s3.Options{Domain: n.cfg.Domain, Region: n.cfg.Region, Logger: n.cfg.Logger})
	n.mu.Lock()
	n.http = srv.HTTPServer(ln.Addr().String())
	h := n.http.Handler
	n.http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.s3Requests.Add(1)
		h.ServeHTTP(w, r)
	})
	n.s3Addr = ln.Addr().String()
	n.mu.Unlock()
	n.goServe(n.http, ln)
	n.log.Info("serving S3", "addr", n.s3Addr, "peer", n.mem.id, "p2p", n.host.Addrs())
	return nil
}

func (n *Node) goServe(srv *http.Server, ln net.Listener) {
	n.life.Loop(func(context.Context) {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			n.log.Error("S3 server stopped", "err", err)
		}
	})
}

// startAdmin serves the admin socket (user management and the join token
// for d3sd subcommands) until Close.
func (n *Node) startAdmin() error {
	ln, err := admin.Listen(n.cfg.DataDir)
	if err != nil {
		return fmt.Errorf("node: %w", err)
	}
	n.mu.Lock()
	n.adminLn = ln
	n.mu.Unlock()
	n.life.Loop(func(ctx context.Context) {
		admin.Serve(ctx, ln, admin.Backend{Users: n.users, Token: n.Token, Status: n.Status}, n.root)
	})
	return nil
}

// S3Addr returns the address the S3 front end listens on, once started.
func (n *Node) S3Addr() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.s3Addr
}

// shutdownTimeout bounds how long Close waits for S3 requests in flight.
const shutdownTimeout = 10 * time.Second

// Close stops serving, waits for requests in flight and background loops,
// and closes, in order, the catalogue sync, the DHT, the libp2p host, the
// swarm and the database.
func (n *Node) Close() error {
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return nil
	}
	n.closed = true
	srv, adminLn := n.http, n.adminLn
	n.mu.Unlock()
	n.life.Close()

	var errs []error
	if srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
		errs = append(errs, srv.Shutdown(ctx))
		cancel()
	}
	n.life.Cancel()
	if adminLn != nil {
		adminLn.Close()
	}
	n.life.Wait()
	n.syncWG.Wait()
	if n.catSync {
		n.cat.Wait()
	}
	errs = append(errs, n.closeNetwork(), n.closeStores())
	return errors.Join(errs...)
}

// closeNetwork closes the DHT, then the host it runs on.
func (n *Node) closeNetwork() error {
	var errs []error
	if n.dht != nil {
		errs = append(errs, n.dht.Close())
	}
	if n.host != nil {
		errs = append(errs, n.host.Close())
	}
	return errors.Join(errs...)
}

// closeStores closes the swarm, then the database it writes to.
func (n *Node) closeStores() error {
	var errs []error
	if n.swarm != nil {
		errs = append(errs, n.swarm.Close())
	}
	if n.db != nil {
		errs = append(errs, n.db.Close())
	}
	return errors.Join(errs...)
}
