package catalognet

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/d3s/d3s/catalog"
	"github.com/d3s/d3s/swarm"
)

// Blob protocol status bytes.
const (
	blobFound    = 0
	blobNotFound = 1
)

// maxRequestLen bounds a BlobProtocol request: a blob ID.
const maxRequestLen = 64

// GetBlob implements catalog.Blobs: the local copy, else a copy from the
// blob's holders (a placed ID names its infohash), then from the writer
// (from), then from any connected member; a fetched blob is verified and
// stored here (not replicated: its holders have it), so this node serves
// it too.
func (b *Blobs) GetBlob(ctx context.Context, id []byte, from string) ([]byte, error) {
	if len(id) < sha256.Size || len(id) > maxRequestLen {
		return nil, fmt.Errorf("catalognet: blob id of %d bytes: %w", len(id), catalog.ErrBadSnapshot)
	}
	if data, ok, err := b.read(ctx, id); err != nil || ok {
		return data, err
	}
	var errs []error
	for _, p := range b.candidates(ctx, id, from) {
		data, err := b.fetch(ctx, p, id)
		if err == nil {
			if _, err := b.store(ctx, id[:sha256.Size], data); err != nil {
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

// local returns the swarm ID of a blob held here: indexed by its
// SHA-256, or, for a placed ID, the object it names when this node holds
// it (a holder keeps a replicated blob as a plain replica).
func (b *Blobs) local(ctx context.Context, id []byte) (swarm.ID, bool, error) {
	sid, ok, err := b.indexed(id[:sha256.Size])
	if err != nil || ok {
		return sid, ok, err
	}
	sid, ok = BlobObject(id)
	if !ok {
		return sid, false, nil
	}
	if _, err := b.swarm.Stat(ctx, sid); err != nil {
		if errors.Is(err, swarm.ErrNotFound) {
			return sid, false, nil
		}
		return sid, false, fmt.Errorf("catalognet: stat blob %x: %w", id[:8], err)
	}
	return sid, true, nil
}

// read returns a local blob's bytes, checked against its SHA-256, or
// found=false.
func (b *Blobs) read(ctx context.Context, id []byte) ([]byte, bool, error) {
	sid, ok, err := b.local(ctx, id)
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
	if sum := sha256.Sum256(data); string(sum[:]) != string(id[:sha256.Size]) {
		return nil, false, fmt.Errorf("catalognet: local blob %x: %w: SHA-256 mismatch", id[:8], catalog.ErrBadSnapshot)
	}
	return data, true, nil
}

// candidates lists the peers to ask, without this node: the blob's
// holders, then from, then the other connected peers.
func (b *Blobs) candidates(ctx context.Context, id []byte, from string) []peer.ID {
	var out []peer.ID
	add := func(p peer.ID) {
		if p != "" && p != b.host.ID() && !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	if sid, ok := BlobObject(id); ok {
		if n := b.net.Load(); n != nil {
			for _, p := range n.Holders(ctx, sid) {
				add(p)
			}
		}
	}
	if first, err := peer.Decode(from); err == nil {
		add(first)
	}
	for _, p := range b.host.Network().Peers() {
		add(p)
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
	if sum := sha256.Sum256(data); string(sum[:]) != string(id[:sha256.Size]) {
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

// handle serves one BlobProtocol request: a blob ID (32 to 64 bytes, up
// to the requester's close of its side).
func (b *Blobs) handle(st network.Stream) {
	defer st.Close()
	st.SetDeadline(time.Now().Add(blobFetchTimeout))
	id, err := io.ReadAll(io.LimitReader(st, maxRequestLen+1))
	if err != nil || len(id) < sha256.Size || len(id) > maxRequestLen {
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
