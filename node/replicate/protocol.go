package replicate

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"

	"github.com/d3s/d3s/node/p2p"
	"github.com/d3s/d3s/swarm"
)

// Protocol asks a holder to fetch an object version and keep it.
// The request is the 20-byte infohash, the object's 8-byte big-endian
// size, its metainfo (4-byte length) and the swarm peer names to fetch
// from (a 2-byte count, then each with a 2-byte length), then 1 byte: 1
// when the object's bytes follow inline (objects up to inlineMax, 4-byte
// length), else 0. The holder answers once the copy is durable, or
// failed: 1 status byte (statusOK or statusFailed) and a message (2-byte
// length).
const Protocol protocol.ID = "/d3s/replicate/1.0.0"

// Replication bounds.
const (
	maxPeerNames = 64
	maxMessage   = 1024
	// inlineMax is the largest object sent inside the request: a
	// BitTorrent download costs a torrent load, handshakes and piece
	// round trips (~100 ms), which dominated small PUTs with
	// --sync-replicas 2.
	inlineMax = 1 << 20
)

// Protocol status bytes.
const (
	statusOK     = 0
	statusFailed = 1
)

// timeout bounds one replication of an object of size bytes: a minute,
// plus a second per 4 MiB (a slow disk on a busy machine).
func timeout(size int64) time.Duration {
	return time.Minute + time.Duration(size/(4<<20))*time.Second
}

// Request is one Protocol request.
type Request struct {
	ID       swarm.ID
	Size     int64
	MetaInfo []byte
	// Peers are the swarm peer names to fetch from.
	Peers []string
	// Inline holds the object's bytes when they travel in the request
	// (HasInline).
	Inline    []byte
	HasInline bool
}

// Encode encodes q for the wire.
func (q Request) Encode() []byte {
	b := append([]byte(nil), q.ID[:]...)
	b = binary.BigEndian.AppendUint64(b, uint64(q.Size))
	b = p2p.AppendField32(b, q.MetaInfo)
	b = binary.BigEndian.AppendUint16(b, uint16(len(q.Peers)))
	for _, p := range q.Peers {
		b = p2p.AppendField16(b, []byte(p))
	}
	if !q.HasInline {
		return append(b, 0)
	}
	return p2p.AppendField32(append(b, 1), q.Inline)
}

// ReadRequest decodes a Request; a malformed one is p2p.ErrBadMessage.
func ReadRequest(r io.Reader) (Request, error) {
	var q Request
	var hdr [28]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return q, err
	}
	copy(q.ID[:], hdr[:20])
	q.Size = int64(binary.BigEndian.Uint64(hdr[20:]))
	if q.Size < 0 {
		return q, fmt.Errorf("%w: negative size", p2p.ErrBadMessage)
	}
	var err error
	if q.MetaInfo, err = p2p.ReadField32(r, p2p.MaxMetaInfo); err != nil {
		return q, err
	}
	var cnt [2]byte
	if _, err := io.ReadFull(r, cnt[:]); err != nil {
		return q, err
	}
	if c := binary.BigEndian.Uint16(cnt[:]); c > maxPeerNames {
		return q, fmt.Errorf("%w: %d peers", p2p.ErrBadMessage, c)
	}
	for range binary.BigEndian.Uint16(cnt[:]) {
		p, err := p2p.ReadField16(r, p2p.MaxPeerName)
		if err != nil {
			return q, err
		}
		q.Peers = append(q.Peers, string(p))
	}
	return readInline(r, q)
}

// readInline reads the request's optional inline bytes.
func readInline(r io.Reader, q Request) (Request, error) {
	var flag [1]byte
	if _, err := io.ReadFull(r, flag[:]); err != nil || flag[0] == 0 {
		return q, err
	}
	var err error
	if q.Inline, err = p2p.ReadField32(r, inlineMax); err != nil {
		return q, err
	}
	if int64(len(q.Inline)) != q.Size {
		return q, fmt.Errorf("%w: %d inline bytes for a %d-byte object", p2p.ErrBadMessage, len(q.Inline), q.Size)
	}
	q.HasInline = true
	return q, nil
}

// handle serves one Protocol request: fetch, keep, answer.
func (r *Replicator) handle(st network.Stream) {
	st.SetReadDeadline(time.Now().Add(p2p.RequestTimeout))
	q, err := ReadRequest(st)
	if err != nil {
		st.Reset()
		return
	}
	ctx, cancel := context.WithTimeout(r.life.Context(), timeout(q.Size))
	defer cancel()
	if r.refuse.Load() {
		err = errRefused
	} else {
		err = r.Keep(ctx, q)
	}
	if err != nil {
		r.log.Warn("replicate", "id", q.ID, "from", st.Conn().RemotePeer(), "err", err)
	}
	st.SetWriteDeadline(time.Now().Add(p2p.RequestTimeout))
	if _, werr := st.Write(statusAnswer(err)); werr != nil {
		st.Reset()
	}
}

// statusAnswer encodes a status byte and, for an error, its message.
func statusAnswer(err error) []byte {
	if err == nil {
		return p2p.AppendField16([]byte{statusOK}, nil)
	}
	msg := []byte(err.Error())
	return p2p.AppendField16([]byte{statusFailed}, msg[:min(len(msg), maxMessage)])
}

// Keep fetches q's object and records that this node holds it as a
// holder: one swarm reference per version, however often it is asked.
func (r *Replicator) Keep(ctx context.Context, q Request) error {
	since := r.ledger.BeginFetch(q.ID)
	defer r.ledger.EndFetch(q.ID)
	if err := r.Store(ctx, q); err != nil {
		return err
	}
	added, err := r.ledger.MarkReplica(q.ID, since)
	if err != nil || !added {
		r.ledger.Release(ctx, q.ID)
	}
	return err
}

// Store stores q's object with one reference, not yet recorded as a
// replica: from the inline bytes when they came with the request
// (content addressing checks them: other bytes give another ID, which is
// p2p.ErrBadMessage), else by fetching it from q's peers.
func (r *Replicator) Store(ctx context.Context, q Request) error {
	if !q.HasInline {
		if _, err := r.swarm.Fetch(ctx, q.ID, q.MetaInfo, q.Peers); err != nil {
			return fmt.Errorf("fetch %s: %w", q.ID, err)
		}
		return nil
	}
	obj, err := r.swarm.Put(ctx, bytes.NewReader(q.Inline), q.Size, swarm.Expect{})
	if err != nil {
		return fmt.Errorf("store %s: %w", q.ID, err)
	}
	if obj.ID != q.ID {
		r.ledger.Release(ctx, obj.ID)
		return fmt.Errorf("%w: inline bytes of %s hash to %s", p2p.ErrBadMessage, q.ID, obj.ID)
	}
	return nil
}

// dialTimeout bounds the dial when a holder is no longer connected (it
// dropped since placement chose it, or a lookup found it): libp2p's 15 s
// default would hold a PUT's answer that long for a holder across a
// partition. A live holder's connection is dropped within ~7 s of its
// silence (dht's yamux keepalive), which fails its stream: together they
// bound a write that cannot reach enough members to ~10 s before 503.
const dialTimeout = 3 * time.Second

// ask asks holder p to replicate q and waits for its answer.
func (r *Replicator) ask(ctx context.Context, p peer.ID, q Request) error {
	ctx, cancel := context.WithTimeout(ctx, timeout(q.Size))
	defer cancel()
	st, err := r.online().NewStream(network.WithDialPeerTimeout(ctx, dialTimeout), p, Protocol)
	if err != nil {
		return err
	}
	defer st.Close()
	deadline, _ := ctx.Deadline()
	st.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { st.Reset() })
	defer stop()
	if _, err := st.Write(q.Encode()); err != nil {
		st.Reset()
		return err
	}
	st.CloseWrite()
	return readStatus(st)
}

// readStatus reads a status answer: nil for statusOK, else the holder's
// message wrapping ErrReplicaFailed.
func readStatus(rd io.Reader) error {
	var status [1]byte
	if _, err := io.ReadFull(rd, status[:]); err != nil {
		return err
	}
	msg, err := p2p.ReadField16(rd, maxMessage)
	if err != nil {
		return err
	}
	if status[0] != statusOK {
		return fmt.Errorf("%w: %s", ErrReplicaFailed, msg)
	}
	return nil
}
