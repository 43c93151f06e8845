package catalognet

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	badger "github.com/dgraph-io/badger/v4"
	"github.com/libp2p/go-libp2p/core/network"
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
)

// Blob protocol status bytes.
const (
	blobFound    = 0
	blobNotFound = 1
)

// Blobs implements catalog.Blobs: blobs are swarm objects (reference
// counted and fsynced like any object) indexed by SHA-256, and travel
// between members over BlobProtocol.
type Blobs struct {
	ctx   context.Context // the node's lifetime: bounds serving a request
	db    *badger.DB
	swarm *swarm.Swarm
	host  *dht.Host
	log   *slog.Logger
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

// PutBlob implements catalog.Blobs. Storing a blob already held takes no
// new reference.
func (b *Blobs) PutBlob(ctx context.Context, data []byte) ([]byte, error) {
	sum := sha256.Sum256(data)
	if _, ok, err := b.local(sum[:]); err != nil || ok {
		return sum[:], err
	}
	obj, err := b.swarm.Put(ctx, bytes.NewReader(data), int64(len(data)), swarm.Expect{SHA256: sum[:]})
	if err != nil {
		return nil, fmt.Errorf("catalognet: store blob %x: %w", sum[:8], err)
	}
	err = b.db.Update(func(txn *badger.Txn) error {
		return txn.Set(blobIndexKey(sum[:]), obj.ID[:])
	})
	if err != nil {
		b.swarm.Release(context.WithoutCancel(ctx), obj.ID)
		return nil, fmt.Errorf("catalognet: index blob %x: %w", sum[:8], err)
	}
	return sum[:], nil
}

// ReleaseBlob implements catalog.Blobs: it forgets the blob's index entry
// and drops the one swarm reference PutBlob took; a blob not held here is
// no error.
func (b *Blobs) ReleaseBlob(ctx context.Context, id []byte) error {
	var (
		sid  swarm.ID
		held bool
	)
	err := b.db.Update(func(txn *badger.Txn) error {
		val, found, err := kv.Get(txn, string(blobIndexKey(id)))
		if err != nil || !found {
			return err
		}
		held = len(val) == len(sid)
		copy(sid[:], val)
		return txn.Delete(blobIndexKey(id))
	})
	if err != nil {
		return fmt.Errorf("catalognet: release blob %x: %w", id[:min(len(id), 8)], err)
	}
	if !held {
		return nil
	}
	if err := b.swarm.Release(context.WithoutCancel(ctx), sid); err != nil && !errors.Is(err, swarm.ErrNotFound) {
		return fmt.Errorf("catalognet: release blob %x: %w", id[:min(len(id), 8)], err)
	}
	return nil
}

func blobIndexKey(id []byte) []byte {
	return []byte(blobIndexPrefix + hex.EncodeToString(id))
}

// local returns the swarm ID of a blob held here.
func (b *Blobs) local(id []byte) (swarm.ID, bool, error) {
	var sid swarm.ID
	val, found, err := func() (v []byte, f bool, err error) {
		err = b.db.View(func(txn *badger.Txn) error {
			v, f, err = kv.Get(txn, string(blobIndexKey(id)))
			return err
		})
		return v, f, err
	}()
	if err != nil {
		return sid, false, fmt.Errorf("catalognet: look up blob %x: %w", id[:min(len(id), 8)], err)
	}
	if !found || len(val) != len(sid) {
		return sid, false, nil
	}
	copy(sid[:], val)
	return sid, true, nil
}

// read returns a local blob's bytes, or found=false.
func (b *Blobs) read(ctx context.Context, id []byte) ([]byte, bool, error) {
	sid, ok, err := b.local(id)
	if err != nil || !ok {
		return nil, false, err
	}
	r, err := b.swarm.Open(ctx, sid)
	if errors.Is(err, swarm.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("catalognet: open blob %x: %w", id[:8], err)
	}
	defer r.Close()
	data, err := io.ReadAll(io.LimitReader(r, maxBlobSize+1))
	if err != nil {
		return nil, false, fmt.Errorf("catalognet: read blob %x: %w", id[:8], err)
	}
	return data, true, nil
}

// GetBlob implements catalog.Blobs: the local copy, else the writer's
// (from), else any connected member's; a fetched blob is verified and
// stored so that this node serves it too.
func (b *Blobs) GetBlob(ctx context.Context, id []byte, from string) ([]byte, error) {
	if len(id) != sha256.Size {
		return nil, fmt.Errorf("catalognet: blob id of %d bytes: %w", len(id), catalog.ErrBadSnapshot)
	}
	if data, ok, err := b.read(ctx, id); err != nil || ok {
		return data, err
	}
	var errs []error
	for _, p := range b.candidates(from) {
		data, err := b.fetch(ctx, p, id)
		if err == nil {
			if _, err := b.PutBlob(ctx, data); err != nil {
				b.log.Warn("keep fetched blob", "err", err)
			}
			return data, nil
		}
		errs = append(errs, fmt.Errorf("%s: %w", p, err))
		if ctx.Err() != nil {
			break
		}
	}
	return nil, fmt.Errorf("catalognet: blob %x: %w: %w", id[:8], ErrBlobNotFound, errors.Join(errs...))
}

// candidates lists the peers to ask: from first, then connected peers.
func (b *Blobs) candidates(from string) []peer.ID {
	var out []peer.ID
	first, err := peer.Decode(from)
	if err == nil && first != b.host.ID() {
		out = append(out, first)
	}
	for _, p := range b.host.Network().Peers() {
		if p != first {
			out = append(out, p)
		}
	}
	return out
}

// fetch asks p for blob id and checks what comes back.
func (b *Blobs) fetch(ctx context.Context, p peer.ID, id []byte) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, blobFetchTimeout)
	defer cancel()
	st, err := b.host.NewStream(ctx, p, BlobProtocol)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	deadline, _ := ctx.Deadline()
	st.SetDeadline(deadline)
	if _, err := st.Write(id); err != nil {
		st.Reset()
		return nil, err
	}
	st.CloseWrite()
	data, err := readBlobAnswer(st)
	if err != nil {
		st.Reset()
		return nil, err
	}
	if sum := sha256.Sum256(data); !bytes.Equal(sum[:], id) {
		return nil, fmt.Errorf("blob from %s: %w: SHA-256 mismatch", p, catalog.ErrBadSnapshot)
	}
	return data, nil
}

// readBlobAnswer reads a BlobProtocol answer.
func readBlobAnswer(r io.Reader) ([]byte, error) {
	var status [1]byte
	if _, err := io.ReadFull(r, status[:]); err != nil {
		return nil, err
	}
	if status[0] != blobFound {
		return nil, ErrBlobNotFound
	}
	var size [8]byte
	if _, err := io.ReadFull(r, size[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint64(size[:])
	if n > maxBlobSize {
		return nil, fmt.Errorf("blob of %d bytes exceeds %d", n, maxBlobSize)
	}
	data := make([]byte, n)
	if _, err := io.ReadFull(r, data); err != nil {
		return nil, err
	}
	return data, nil
}

// handle serves one BlobProtocol request.
func (b *Blobs) handle(st network.Stream) {
	defer st.Close()
	st.SetDeadline(time.Now().Add(blobFetchTimeout))
	id := make([]byte, sha256.Size)
	if _, err := io.ReadFull(st, id); err != nil {
		st.Reset()
		return
	}
	ctx, cancel := context.WithTimeout(b.ctx, blobFetchTimeout)
	defer cancel()
	data, ok, err := b.read(ctx, id)
	if err != nil {
		b.log.Warn("serve blob", "err", err)
	}
	if !ok {
		st.Write([]byte{blobNotFound})
		return
	}
	hdr := binary.BigEndian.AppendUint64([]byte{blobFound}, uint64(len(data)))
	if _, err := st.Write(hdr); err != nil {
		st.Reset()
		return
	}
	if _, err := st.Write(data); err != nil {
		st.Reset()
	}
}
