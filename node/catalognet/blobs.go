package catalognet

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	badger "github.com/dgraph-io/badger/v4"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"

	"github.com/d3s/d3s/catalog"
	"github.com/d3s/d3s/dht"
	"github.com/d3s/d3s/internal/kv"
	"github.com/d3s/d3s/swarm"
)

// BlobProtocol fetches a catalogue snapshot blob from a member that holds
// it (see doc.go for the exchange).
const BlobProtocol protocol.ID = "/d3s/blob/1.0.0"

// Blob bounds.
const (
	// maxBlobSize bounds a snapshot: about 2.5 million entries.
	maxBlobSize = 512 << 20
	// blobFetchTimeout bounds fetching a blob from one peer.
	blobFetchTimeout = 60 * time.Second
	// blobIndexPrefix maps, in badger, a blob's SHA-256 to its swarm ID
	// (named when the blob store was part of package node; it is on disk).
	blobIndexPrefix = "node/blob/"
	// placedIDLen is the length of a placed blob's ID: SHA-256, then
	// the swarm infohash.
	placedIDLen = sha256.Size + len(swarm.ID{})
)

// Network is what Blobs needs of the node's placement and replication to
// place blobs like objects; a Blobs without one (tests, or before
// Attach) keeps blobs on this node only and names them by SHA-256.
type Network struct {
	// Holders names the live members that should hold a swarm object,
	// closest first (placement.Holders).
	Holders func(ctx context.Context, id swarm.ID) []peer.ID
	// Alone reports whether no other member is connected while other
	// members are known: a blob stored now would be on this node only.
	Alone func() bool
	// Replicate queues the object's copies to its holders and returns
	// once the configured number of copies is durable
	// (replicate.Replicate).
	Replicate func(ctx context.Context, id swarm.ID, size int64) error
	// Retire tells the object's holders (and this node's ledger) that
	// this node's catalogue no longer references it (collect.RetireBlob).
	Retire func(id swarm.ID)
}

// Blobs implements catalog.Blobs: blobs are swarm objects (reference
// counted and fsynced like any object) indexed by SHA-256, placed on
// their holders like objects once Attach gave it the network, and
// fetched over BlobProtocol.
type Blobs struct {
	ctx   context.Context // the node's lifetime: bounds serving a request
	db    *badger.DB
	swarm *swarm.Swarm
	host  *dht.Host
	log   *slog.Logger
	net   atomic.Pointer[Network]
}

var _ catalog.Blobs = (*Blobs)(nil)

// NewBlobs returns the blob store of a node over its database, swarm and
// host, and serves BlobProtocol on h; requests are served under ctx, the
// node's lifetime.
func NewBlobs(ctx context.Context, db *badger.DB, sw *swarm.Swarm, h *dht.Host, log *slog.Logger) *Blobs {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	b := &Blobs{ctx: ctx, db: db, swarm: sw, host: h, log: log.With("component", "blobs")}
	h.SetStreamHandler(BlobProtocol, b.handle)
	return b
}

// Attach places the blobs stored from now on through n.
func (b *Blobs) Attach(n Network) { b.net.Store(&n) }

// BlobObject returns the swarm object (infohash) a placed blob ID names;
// ok is false for a bare SHA-256 ID (a blob written before placement, or
// by a store without a network).
func BlobObject(id []byte) (sid swarm.ID, ok bool) {
	if len(id) != placedIDLen {
		return sid, false
	}
	copy(sid[:], id[sha256.Size:])
	return sid, true
}

// PutBlob implements catalog.Blobs. The blob is stored here (a blob
// already held takes no new reference) and, on a network, replicated to
// its holders: PutBlob returns its placed ID (SHA-256 + infohash) once
// the configured number of copies is durable, and fails with
// ErrTooFewHolders when no other member is connected while other members
// are known (the head that would reference it waits: its writes stay in
// the outbox).
func (b *Blobs) PutBlob(ctx context.Context, data []byte) ([]byte, error) {
	sum := sha256.Sum256(data)
	sid, err := b.store(ctx, sum[:], data)
	if err != nil {
		return nil, err
	}
	n := b.net.Load()
	if n == nil {
		return sum[:], nil
	}
	if err := b.place(ctx, n, sid, len(data)); err != nil {
		return nil, fmt.Errorf("catalognet: place blob %x: %w", sum[:8], err)
	}
	return append(sum[:], sid[:]...), nil
}

// place makes the configured number of durable copies of blob sid.
func (b *Blobs) place(ctx context.Context, n *Network, sid swarm.ID, size int) error {
	if n.Alone() {
		return ErrTooFewHolders
	}
	return n.Replicate(ctx, sid, int64(size))
}

// store stores data, whose SHA-256 is sum, here and indexes it; a blob
// already indexed takes no new reference.
func (b *Blobs) store(ctx context.Context, sum, data []byte) (swarm.ID, error) {
	if sid, ok, err := b.indexed(sum); err != nil || ok {
		return sid, err
	}
	obj, err := b.swarm.Put(ctx, bytes.NewReader(data), int64(len(data)), swarm.Expect{SHA256: sum})
	if err != nil {
		return obj.ID, fmt.Errorf("catalognet: store blob %x: %w", sum[:8], err)
	}
	err = b.db.Update(func(txn *badger.Txn) error {
		return txn.Set(blobIndexKey(sum), obj.ID[:])
	})
	if err != nil {
		b.swarm.Release(context.WithoutCancel(ctx), obj.ID)
		return obj.ID, fmt.Errorf("catalognet: index blob %x: %w", sum[:8], err)
	}
	return obj.ID, nil
}

// ReleaseBlob implements catalog.Blobs: it forgets the blob's index entry
// and drops the one swarm reference store took; a blob not held is no
// error. The holders of a placed blob are told (Network.Retire): each
// collects its copy once no live head references it.
func (b *Blobs) ReleaseBlob(ctx context.Context, id []byte) error {
	if len(id) < sha256.Size {
		return fmt.Errorf("catalognet: release blob id of %d bytes: %w", len(id), catalog.ErrBadSnapshot)
	}
	if sid, ok := BlobObject(id); ok {
		if n := b.net.Load(); n != nil && n.Retire != nil {
			n.Retire(sid)
		}
	}
	var (
		sid  swarm.ID
		held bool
	)
	key := blobIndexKey(id[:sha256.Size])
	err := b.db.Update(func(txn *badger.Txn) error {
		val, found, err := kv.Get(txn, string(key))
		if err != nil || !found {
			return err
		}
		held = len(val) == len(sid)
		copy(sid[:], val)
		return txn.Delete(key)
	})
	if err != nil {
		return fmt.Errorf("catalognet: release blob %x: %w", id[:8], err)
	}
	if !held {
		return nil
	}
	if err := b.swarm.Release(context.WithoutCancel(ctx), sid); err != nil && !errors.Is(err, swarm.ErrNotFound) {
		return fmt.Errorf("catalognet: release blob %x: %w", id[:8], err)
	}
	return nil
}

func blobIndexKey(sum []byte) []byte {
	return []byte(blobIndexPrefix + hex.EncodeToString(sum))
}

// indexed returns the swarm ID of a blob indexed here by its SHA-256.
func (b *Blobs) indexed(sum []byte) (swarm.ID, bool, error) {
	var sid swarm.ID
	val, found, err := func() (v []byte, f bool, err error) {
		err = b.db.View(func(txn *badger.Txn) error {
			v, f, err = kv.Get(txn, string(blobIndexKey(sum)))
			return err
		})
		return v, f, err
	}()
	if err != nil {
		return sid, false, fmt.Errorf("catalognet: look up blob %x: %w", sum[:8], err)
	}
	if !found || len(val) != len(sid) {
		return sid, false, nil
	}
	copy(sid[:], val)
	return sid, true, nil
}
