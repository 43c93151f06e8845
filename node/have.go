package node

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"time"

	"github.com/d3s/d3s/internal/kv"

	"github.com/dgraph-io/badger/v4"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"

	"github.com/d3s/d3s/swarm"
)

// haveProtocol asks a member which of a batch of object versions it has.
// The request is a 2-byte big-endian count (at most maxHaveIDs) and that
// many 20-byte infohashes; the answer is a bitmap of ceil(count/8) bytes,
// bit i (most significant bit first, as in a BitTorrent bitfield) set
// when the member has the i-th infohash.
//
// "Has" means held to be kept, not merely present: the member records a
// replica reference on it (node/replica/<infohash>; a writer that is one
// of its version's holders records one too, repair.go), its bytes are
// stored, and they are not known to be damaged. A copy kept only in the
// read cache does not count: it may be evicted at any time, so a node
// that counted it could drop the last durable copy.
const haveProtocol protocol.ID = "/d3s/have/1.0.0"

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
		return nil, fmt.Errorf("%w: have request for %d objects", errBadMessage, c)
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

// handleHave serves one haveProtocol request.
func (n *Node) handleHave(st network.Stream) {
	st.SetDeadline(time.Now().Add(haveTimeout))
	ids, err := readHave(st)
	if err != nil {
		st.Reset()
		return
	}
	has, err := n.hasCopies(n.ctx, ids)
	if err != nil {
		n.log.Warn("have request", "from", st.Conn().RemotePeer(), "err", err)
		st.Reset()
		return
	}
	if _, err := st.Write(bitmap(has)); err != nil {
		st.Reset()
	}
}

// hasCopies reports, for each of ids, whether this node has it in the
// haveProtocol sense: a replica reference, stored bytes, no known damage.
func (n *Node) hasCopies(ctx context.Context, ids []swarm.ID) ([]bool, error) {
	has := make([]bool, len(ids))
	err := n.db.View(func(txn *badger.Txn) error {
		for i, id := range ids {
			_, found, err := kv.Get(txn, replicaIndexKey(id))
			if err != nil {
				return err
			}
			has[i] = found
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read replica index: %w", err)
	}
	for i, id := range ids {
		if has[i] {
			has[i] = n.intact(ctx, id)
		}
	}
	return has, nil
}

// intact reports whether id's bytes are stored here and not known to be
// damaged.
func (n *Node) intact(ctx context.Context, id swarm.ID) bool {
	if n.damage.isDamaged(id) {
		return false
	}
	_, err := n.swarm.Stat(ctx, id)
	return err == nil
}

// askHave asks member p which of ids (at most maxHaveIDs) it has.
func (n *Node) askHave(ctx context.Context, p peer.ID, ids []swarm.ID) ([]bool, error) {
	ctx, cancel := context.WithTimeout(ctx, haveTimeout)
	defer cancel()
	st, err := n.host.NewStream(ctx, p, haveProtocol)
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
func (n *Node) askHaveAll(ctx context.Context, p peer.ID, ids []swarm.ID) (map[swarm.ID]bool, error) {
	out := make(map[swarm.ID]bool, len(ids))
	for start := 0; start < len(ids); start += maxHaveIDs {
		chunk := ids[start:min(start+maxHaveIDs, len(ids))]
		has, err := n.askHave(ctx, p, chunk)
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
