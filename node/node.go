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

	"github.com/dgraph-io/badger/v4"

	"github.com/d3s/d3s/catalog"
	"github.com/d3s/d3s/dht"
	"github.com/d3s/d3s/internal/kv"
	"github.com/d3s/d3s/node/admin"
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
	bt    *lateTransport // the swarm's transport: libp2p streams once Start attaches the host
	cat   *catalog.Catalog
	users *users.DB
	first *users.Credentials

	// Set by Start.
	host    *dht.Host
	hostp   atomic.Pointer[dht.Host] // host, for readers outside Start
	dht     *dht.DHT
	blobs   *blobStore
	catSync bool

	ctx    context.Context // the node's lifetime; cancelled by Close
	cancel context.CancelFunc
	wg     sync.WaitGroup
	// bg counts work started by requests and peers (replications, their
	// handlers): only while not closed (track), waited for by Close.
	bg        sync.WaitGroup
	repl      *replState
	replicaMu sync.Mutex // serialises markReplica, markCandidate, dropReplica
	// fetching counts the replica fetches running per infohash (under
	// replicaMu; beginFetch).
	fetching map[swarm.ID]int
	handMu   sync.Mutex // serialises handover and releaseEntry of own versions
	seeds    seedTracker
	damage   damageTracker
	repairs  repairStats
	rates    rateSampler
	refuse   atomic.Bool // refuse replicate requests (Config.refuseReplicas)

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
	n := &Node{cfg: cfg, root: root, log: root.With("component", "node"), repl: newReplState()}
	n.ctx, n.cancel = context.WithCancel(context.Background())
	n.refuse.Store(cfg.refuseReplicas)
	if err := n.open(); err != nil {
		n.cancel()
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
	n.bt = newLateTransport(n.mem.id)
	n.swarm, err = swarm.New(swarm.Config{
		Dir: filepath.Join(n.cfg.DataDir, "objects"), DB: n.db, Logger: n.root, Transport: n.bt,
		CacheSize: n.cfg.CacheSize, OnCorrupt: n.onCorrupt,
	})
	if err != nil {
		return fmt.Errorf("node: open swarm: %w", err)
	}
	if n.cat, err = catalog.New(catalog.Config{DB: n.db, NodeID: n.mem.id.String(), Logger: n.root, TombstoneTTL: n.cfg.TombstoneTTL}); err != nil {
		return err
	}
	if !n.mem.joined {
		n.first, err = n.users.EnsureFirstUser(n.ctx)
	}
	return err
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
	n.wg.Go(func() {
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
	n.wg.Go(func() {
		admin.Serve(n.ctx, ln, admin.Backend{Users: n.users, Token: n.Token, Status: n.Status}, n.root)
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

	var errs []error
	if srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
		errs = append(errs, srv.Shutdown(ctx))
		cancel()
	}
	n.cancel()
	if adminLn != nil {
		adminLn.Close()
	}
	n.wg.Wait()
	n.bg.Wait()
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
