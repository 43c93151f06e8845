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
	"time"

	"github.com/d3s/d3s/catalog"
	"github.com/d3s/d3s/s3"
	"github.com/d3s/d3s/swarm"
	"github.com/dgraph-io/badger/v4"
	"github.com/libp2p/go-libp2p/core/peer"
)

// Node is one D3S node: the S3 front end over the local catalog and swarm.
// It implements s3.ObjectStore.
type Node struct {
	cfg   Config
	log   *slog.Logger
	db    *badger.DB
	swarm *swarm.Swarm
	cat   *catalog.Catalog
	users *userDB
	first *UserCredentials

	ctx    context.Context // the node's lifetime; cancelled by Close
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	http    *http.Server
	s3Addr  string
	adminLn net.Listener
	closed  bool
}

var _ s3.ObjectStore = (*Node)(nil)

// New opens the node's state in cfg.DataDir: the database, the swarm, the
// catalog and the users (creating the first user on a fresh data dir).
func New(cfg Config) (*Node, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	n := &Node{cfg: cfg, log: log.With("component", "node")}
	n.ctx, n.cancel = context.WithCancel(context.Background())
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
	if n.db, err = openDB(filepath.Join(n.cfg.DataDir, "db"), n.cfg); err != nil {
		return err
	}
	root := n.cfg.Logger
	if root == nil {
		root = slog.New(slog.DiscardHandler)
	}
	if n.users, err = openUsers(n.db, n.cfg.DataDir, root); err != nil {
		return err
	}
	id, err := peer.IDFromPrivateKey(n.users.identity)
	if err != nil {
		return fmt.Errorf("node: identity: %w", err)
	}
	n.swarm, err = swarm.New(swarm.Config{Dir: filepath.Join(n.cfg.DataDir, "objects"), DB: n.db, Logger: root})
	if err != nil {
		return fmt.Errorf("node: open swarm: %w", err)
	}
	if n.cat, err = catalog.New(catalog.Config{DB: n.db, NodeID: id.String(), Logger: root}); err != nil {
		return err
	}
	n.first, err = n.users.ensureFirstUser(n.ctx)
	return err
}

// FirstUser returns the credentials of the user created by this start on
// a fresh data dir, or nil: they are shown once and never stored in clear.
func (n *Node) FirstUser() *UserCredentials { return n.first }

// Start serves S3 on cfg.S3Addr and the admin socket in the data dir; both
// stop at Close.
func (n *Node) Start(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed || n.http != nil {
		return errors.New("node: already started or closed")
	}
	ln, err := net.Listen("tcp", n.cfg.S3Addr)
	if err != nil {
		return fmt.Errorf("node: listen s3: %w", err)
	}
	if err := n.startAdmin(); err != nil {
		ln.Close()
		return err
	}
	srv := s3.NewServer(n, n.users, s3.Options{Domain: n.cfg.Domain, Region: n.cfg.Region, Logger: n.cfg.Logger})
	n.http = srv.HTTPServer(ln.Addr().String())
	n.s3Addr = ln.Addr().String()
	n.goServe(ln)
	n.log.Info("serving S3", "addr", n.s3Addr)
	return nil
}

func (n *Node) goServe(ln net.Listener) {
	n.wg.Go(func() {
		if err := n.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			n.log.Error("S3 server stopped", "err", err)
		}
	})
}

// startAdmin serves the admin socket (user management for d3sd
// subcommands) until Close.
func (n *Node) startAdmin() error {
	ln, err := listenAdmin(n.cfg.DataDir)
	if err != nil {
		return fmt.Errorf("node: %w", err)
	}
	n.adminLn = ln
	log := n.cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	n.wg.Go(func() { serveAdmin(n.ctx, ln, n.users, log) })
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
// and closes the swarm and the database.
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
	errs = append(errs, n.closeStores())
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
