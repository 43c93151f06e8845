package node

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
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

// replicateProtocol asks a holder to fetch an object version and keep it.
// The request is the 20-byte infohash, the object's 8-byte big-endian
// size, its metainfo (4-byte length) and the swarm peer names to fetch
// from (a 2-byte count, then each with a 2-byte length), then 1 byte: 1
// when the object's bytes follow inline (objects up to inlineReplicaMax,
// 4-byte length), else 0. The holder answers once the copy is durable, or
// failed: 1 status byte (replicaOK or replicaFailed) and a message (2-byte
// length).
const replicateProtocol protocol.ID = "/d3s/replicate/1.0.0"

// Replication bounds.
const (
	maxMetaInfo  = 16 << 20 // a metainfo: 20 bytes per piece, and a header
	maxPeerName  = 512
	maxPeerNames = 64
	maxMessage   = 1024
	// inlineReplicaMax is the largest object sent inside the request: a
	// BitTorrent download costs a torrent load, handshakes and piece
	// round trips (~100 ms), which dominated small PUTs with
	// --sync-replicas 2.
	inlineReplicaMax = 1 << 20
	// requestReadTimeout bounds reading a request off a stream.
	requestReadTimeout = 30 * time.Second
	// replicaIndexPrefix marks, in badger, an object version this node
	// holds one swarm reference for as one of its holders; the value is
	// when it was recorded (8-byte Unix nanoseconds; empty in indexes
	// written before it was kept).
	replicaIndexPrefix = "node/replica/"
)

// Replicate protocol status bytes.
const (
	replicaOK     = 0
	replicaFailed = 1
)

// replicateTimeout bounds one replication of an object of size bytes:
// a minute, plus a second per 4 MiB (a slow disk on a busy machine).
func replicateTimeout(size int64) time.Duration {
	return time.Minute + time.Duration(size/(4<<20))*time.Second
}

// replicateRequest is one replicateProtocol request.
type replicateRequest struct {
	id    swarm.ID
	size  int64
	mi    []byte
	peers []string
	// inline holds the object's bytes when they travel in the request.
	inline    []byte
	hasInline bool
}

func (q replicateRequest) encode() []byte {
	b := append([]byte(nil), q.id[:]...)
	b = binary.BigEndian.AppendUint64(b, uint64(q.size))
	b = appendField32(b, q.mi)
	b = binary.BigEndian.AppendUint16(b, uint16(len(q.peers)))
	for _, p := range q.peers {
		b = appendField16(b, []byte(p))
	}
	if !q.hasInline {
		return append(b, 0)
	}
	return appendField32(append(b, 1), q.inline)
}

func readReplicateRequest(r io.Reader) (replicateRequest, error) {
	var q replicateRequest
	var hdr [28]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return q, err
	}
	copy(q.id[:], hdr[:20])
	q.size = int64(binary.BigEndian.Uint64(hdr[20:]))
	if q.size < 0 {
		return q, fmt.Errorf("%w: negative size", errBadMessage)
	}
	var err error
	if q.mi, err = readField32(r, maxMetaInfo); err != nil {
		return q, err
	}
	var cnt [2]byte
	if _, err := io.ReadFull(r, cnt[:]); err != nil {
		return q, err
	}
	if c := binary.BigEndian.Uint16(cnt[:]); c > maxPeerNames {
		return q, fmt.Errorf("%w: %d peers", errBadMessage, c)
	}
	for range binary.BigEndian.Uint16(cnt[:]) {
		p, err := readField16(r, maxPeerName)
		if err != nil {
			return q, err
		}
		q.peers = append(q.peers, string(p))
	}
	return readInline(r, q)
}

// readInline reads the request's optional inline bytes.
func readInline(r io.Reader, q replicateRequest) (replicateRequest, error) {
	var flag [1]byte
	if _, err := io.ReadFull(r, flag[:]); err != nil || flag[0] == 0 {
		return q, err
	}
	var err error
	if q.inline, err = readField32(r, inlineReplicaMax); err != nil {
		return q, err
	}
	if int64(len(q.inline)) != q.size {
		return q, fmt.Errorf("%w: %d inline bytes for a %d-byte object", errBadMessage, len(q.inline), q.size)
	}
	q.hasInline = true
	return q, nil
}

// handleReplicate serves one replicateProtocol request: fetch, keep,
// answer.
func (n *Node) handleReplicate(st network.Stream) {
	st.SetReadDeadline(time.Now().Add(requestReadTimeout))
	q, err := readReplicateRequest(st)
	if err != nil {
		st.Reset()
		return
	}
	ctx, cancel := context.WithTimeout(n.ctx, replicateTimeout(q.size))
	defer cancel()
	if n.refuse.Load() {
		err = errRefused
	} else {
		err = n.keepReplica(ctx, q)
	}
	if err != nil {
		n.log.Warn("replicate", "id", q.id, "from", st.Conn().RemotePeer(), "err", err)
	}
	st.SetWriteDeadline(time.Now().Add(requestReadTimeout))
	if _, werr := st.Write(statusAnswer(err)); werr != nil {
		st.Reset()
	}
}

// statusAnswer encodes a status byte and, for an error, its message.
func statusAnswer(err error) []byte {
	if err == nil {
		return appendField16([]byte{replicaOK}, nil)
	}
	msg := []byte(err.Error())
	return appendField16([]byte{replicaFailed}, msg[:min(len(msg), maxMessage)])
}

// keepReplica fetches q's object and records that this node holds it as
// a holder: one swarm reference per version, however often it is asked.
func (n *Node) keepReplica(ctx context.Context, q replicateRequest) error {
	since := n.beginFetch(q.id)
	defer n.endFetch(q.id)
	if err := n.storeReplica(ctx, q); err != nil {
		return err
	}
	added, err := n.markReplica(q.id, since)
	if err != nil || !added {
		n.release(ctx, q.id)
	}
	return err
}

// storeReplica stores q's object with one reference: from the inline
// bytes when they came with the request (content addressing checks them:
// other bytes give another ID), else by fetching it from q's peers.
func (n *Node) storeReplica(ctx context.Context, q replicateRequest) error {
	if !q.hasInline {
		if _, err := n.swarm.Fetch(ctx, q.id, q.mi, q.peers); err != nil {
			return fmt.Errorf("fetch %s: %w", q.id, err)
		}
		return nil
	}
	obj, err := n.swarm.Put(ctx, bytes.NewReader(q.inline), q.size, swarm.Expect{})
	if err != nil {
		return fmt.Errorf("store %s: %w", q.id, err)
	}
	if obj.ID != q.id {
		n.release(ctx, obj.ID)
		return fmt.Errorf("%w: inline bytes of %s hash to %s", errBadMessage, q.id, obj.ID)
	}
	return nil
}

// markReplica records a replica reference on id; added is false when one
// was already recorded. A collection candidate noted before since (when
// the request for this copy arrived) is cleared: a replicate request
// after the notice means a live version needs the copy. One noted since
// then stays for the sweep to decide: the notice may be the deletion of
// the very version this copy was fetched for (a fetch still running when
// the notice came, see beginFetch).
func (n *Node) markReplica(id swarm.ID, since time.Time) (added bool, err error) {
	n.replicaMu.Lock()
	defer n.replicaMu.Unlock()
	err = n.db.Update(func(txn *badger.Txn) error {
		noted, found, err := kv.Get(txn, gcCandidateKey(id))
		if err != nil {
			return err
		}
		if found && candidateTime(noted).Before(since) {
			if err := txn.Delete([]byte(gcCandidateKey(id))); err != nil {
				return err
			}
		}
		_, found, err = kv.Get(txn, replicaIndexKey(id))
		if err != nil || found {
			return err
		}
		added = true
		return txn.Set([]byte(replicaIndexKey(id)), replicaValue(time.Now()))
	})
	return added, err
}

// beginFetch notes that a copy of id is being fetched to become a
// replica, so that a collection notice arriving before it is recorded is
// not lost (markCandidate), and returns when it began; endFetch undoes it.
func (n *Node) beginFetch(id swarm.ID) time.Time {
	n.replicaMu.Lock()
	defer n.replicaMu.Unlock()
	if n.fetching == nil {
		n.fetching = make(map[swarm.ID]int)
	}
	n.fetching[id]++
	return time.Now()
}

func (n *Node) endFetch(id swarm.ID) {
	n.replicaMu.Lock()
	defer n.replicaMu.Unlock()
	if n.fetching[id]--; n.fetching[id] <= 0 {
		delete(n.fetching, id)
	}
}

// isReplica reports whether this node holds a replica reference on id.
func (n *Node) isReplica(id swarm.ID) (found bool, err error) {
	err = n.db.View(func(txn *badger.Txn) error {
		_, found, err = kv.Get(txn, replicaIndexKey(id))
		return err
	})
	return found, err
}

func replicaIndexKey(id swarm.ID) string { return replicaIndexPrefix + hex.EncodeToString(id[:]) }

// askReplicate asks holder p to replicate q and waits for its answer.
func (n *Node) askReplicate(ctx context.Context, p peer.ID, q replicateRequest) error {
	ctx, cancel := context.WithTimeout(ctx, replicateTimeout(q.size))
	defer cancel()
	st, err := n.host.NewStream(ctx, p, replicateProtocol)
	if err != nil {
		return err
	}
	defer st.Close()
	deadline, _ := ctx.Deadline()
	st.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { st.Reset() })
	defer stop()
	if _, err := st.Write(q.encode()); err != nil {
		st.Reset()
		return err
	}
	st.CloseWrite()
	return readStatus(st)
}

// readStatus reads a status answer: nil for replicaOK, else the holder's
// message wrapping ErrReplicaFailed.
func readStatus(r io.Reader) error {
	var status [1]byte
	if _, err := io.ReadFull(r, status[:]); err != nil {
		return err
	}
	msg, err := readField16(r, maxMessage)
	if err != nil {
		return err
	}
	if status[0] != replicaOK {
		return fmt.Errorf("%w: %s", ErrReplicaFailed, msg)
	}
	return nil
}

// Holds reports whether this node holds the data of the current version
// of key in the user's bucket as one of its holders (it wrote it, or
// replicated it), as opposed to not at all or only in a read cache.
func (n *Node) Holds(ctx context.Context, accessKeyID, bucket, key string) (bool, error) {
	e, err := n.cat.Get(ctx, accessKeyID, bucket, key)
	if err != nil {
		return false, err
	}
	if !n.holdsData(e) {
		if ok, err := n.isReplica(e.InfoHash); err != nil || !ok {
			return false, err
		}
	}
	_, err = n.swarm.Stat(ctx, e.InfoHash)
	if errors.Is(err, swarm.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}
