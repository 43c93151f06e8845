package repair

import (
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

// HaveProtocol asks a member which of a batch of object versions it has
// (see the package doc).
const HaveProtocol protocol.ID = "/d3s/have/1.0.0"

// Have protocol bounds.
const (
	// maxHaveIDs bounds one request: 80 KiB of infohashes, a 512-byte
	// answer.
	maxHaveIDs = 4096
	// haveTimeout bounds one request and its answer.
	haveTimeout = 10 * time.Second
)

// encodeHave encodes a have request for ids (at most maxHaveIDs).
func encodeHave(ids []swarm.ID) []byte {
	b := binary.BigEndian.AppendUint16(make([]byte, 0, 2+len(ids)*len(swarm.ID{})), uint16(len(ids)))
	for _, id := range ids {
		b = append(b, id[:]...)
	}
	return b
}

// readHave decodes a have request.
func readHave(r io.Reader) ([]swarm.ID, error) {
	var cnt [2]byte
	if _, err := io.ReadFull(r, cnt[:]); err != nil {
		return nil, err
	}
	c := int(binary.BigEndian.Uint16(cnt[:]))
	if c > maxHaveIDs {
		return nil, fmt.Errorf("%w: have request for %d objects", p2p.ErrBadMessage, c)
	}
	raw := make([]byte, c*len(swarm.ID{}))
	if _, err := io.ReadFull(r, raw); err != nil {
		return nil, err
	}
	ids := make([]swarm.ID, c)
	for i := range ids {
		copy(ids[i][:], raw[i*len(swarm.ID{}):])
	}
	return ids, nil
}

// bitmap packs has into bytes, most significant bit first.
func bitmap(has []bool) []byte {
	b := make([]byte, (len(has)+7)/8)
	for i, h := range has {
		if h {
			b[i/8] |= 0x80 >> (i % 8)
		}
	}
	return b
}

// unbitmap unpacks n flags from b.
func unbitmap(b []byte, n int) []bool {
	has := make([]bool, n)
	for i := range has {
		has[i] = b[i/8]&(0x80>>(i%8)) != 0
	}
	return has
}

// handleHave serves one HaveProtocol request.
func (r *Repairer) handleHave(st network.Stream) {
	st.SetDeadline(time.Now().Add(haveTimeout))
	ids, err := readHave(st)
	if err != nil {
		st.Reset()
		return
	}
	has, err := r.HasCopies(r.life.Context(), ids)
	if err != nil {
		r.log.Warn("have request", "from", st.Conn().RemotePeer(), "err", err)
		st.Reset()
		return
	}
	if _, err := st.Write(bitmap(has)); err != nil {
		st.Reset()
	}
}

// HasCopies reports, for each of ids, whether this node has it in the
// HaveProtocol sense: a replica reference, stored bytes, no known damage.
func (r *Repairer) HasCopies(ctx context.Context, ids []swarm.ID) ([]bool, error) {
	has, err := r.ledger.AreReplicas(ids)
	if err != nil {
		return nil, err
	}
	for i, id := range ids {
		if has[i] {
			has[i] = r.intact(ctx, id)
		}
	}
	return has, nil
}

// intact reports whether id's bytes are stored here and not known to be
// damaged.
func (r *Repairer) intact(ctx context.Context, id swarm.ID) bool {
	if r.damage.isDamaged(id) {
		return false
	}
	_, err := r.swarm.Stat(ctx, id)
	return err == nil
}

// askHave asks member p which of ids (at most maxHaveIDs) it has.
func (r *Repairer) askHave(ctx context.Context, p peer.ID, ids []swarm.ID) ([]bool, error) {
	h := r.host.Load()
	if h == nil {
		return nil, fmt.Errorf("have request to %s: not on a network", p)
	}
	ctx, cancel := context.WithTimeout(ctx, haveTimeout)
	defer cancel()
	st, err := h.NewStream(ctx, p, HaveProtocol)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	deadline, _ := ctx.Deadline()
	st.SetDeadline(deadline)
	if _, err := st.Write(encodeHave(ids)); err != nil {
		st.Reset()
		return nil, err
	}
	st.CloseWrite()
	b := make([]byte, (len(ids)+7)/8)
	if _, err := io.ReadFull(st, b); err != nil {
		st.Reset()
		return nil, fmt.Errorf("have answer from %s: %w", p, err)
	}
	return unbitmap(b, len(ids)), nil
}

// askHaveAll asks p about ids in requests of at most maxHaveIDs; the
// answer maps every id p has to true.
func (r *Repairer) askHaveAll(ctx context.Context, p peer.ID, ids []swarm.ID) (map[swarm.ID]bool, error) {
	out := make(map[swarm.ID]bool, len(ids))
	for start := 0; start < len(ids); start += maxHaveIDs {
		chunk := ids[start:min(start+maxHaveIDs, len(ids))]
		has, err := r.askHave(ctx, p, chunk)
		if err != nil {
			return out, err
		}
		for i, id := range chunk {
			if has[i] {
				out[id] = true
			}
		}
	}
	return out, nil
}
