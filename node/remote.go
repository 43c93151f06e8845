package node

import (
	"context"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"

	"github.com/d3s/d3s/catalog"
	"github.com/d3s/d3s/swarm"
)

// metaProtocol asks a member whether it holds an object version. The
// request is the 20-byte infohash; the answer 1 status byte (metaHeld or
// metaNotHere), then for a held object its swarm peer name (2-byte
// length) and its metainfo (4-byte length). The swarm checks the
// metainfo against the infohash before fetching anything.
const metaProtocol protocol.ID = "/d3s/meta/1.0.0"

// Meta protocol status bytes.
const (
	metaHeld    = 0
	metaNotHere = 1
)

// Remote read bounds.
const (
	// metaTimeout bounds asking the candidate holders.
	metaTimeout = 10 * time.Second
	// moreHoldersGrace is how long, after the first holder answered, the
	// others are given to answer too, so that the read streams from
	// several at once.
	moreHoldersGrace = 200 * time.Millisecond
)

// handleMeta serves one metaProtocol request; a held object is loaded
// as a torrent (seed) before the answer, so the asker can download, and
// unloaded once idle (idleLoop).
func (n *Node) handleMeta(st network.Stream) {
	st.SetDeadline(time.Now().Add(requestReadTimeout))
	var id swarm.ID
	if _, err := io.ReadFull(st, id[:]); err != nil {
		st.Reset()
		return
	}
	ctx, cancel := context.WithTimeout(n.ctx, requestReadTimeout)
	defer cancel()
	answer := n.metaAnswer(ctx, id)
	if _, err := st.Write(answer); err != nil {
		st.Reset()
	}
}

// metaAnswer is the metaProtocol answer for id: held (loading it as a
// torrent) with this node's swarm name and the metainfo, or not here.
func (n *Node) metaAnswer(ctx context.Context, id swarm.ID) []byte {
	if n.damage.isDamaged(id) {
		return []byte{metaNotHere} // offer no damaged copy
	}
	obj, err := n.swarm.Stat(ctx, id)
	if err == nil {
		err = n.seed(ctx, id, obj.Size)
	}
	var mi []byte
	if err == nil {
		mi, err = n.swarm.MetaInfo(ctx, id)
	}
	if err != nil {
		return []byte{metaNotHere}
	}
	return appendField32(appendField16([]byte{metaHeld}, []byte(n.swarm.Self())), mi)
}

// holderAnswer is one member's metaProtocol answer.
type holderAnswer struct {
	name string // swarm peer name
	mi   []byte
	err  error
}

// askMeta asks member p whether it holds id.
func (n *Node) askMeta(ctx context.Context, p peer.ID, id swarm.ID) holderAnswer {
	st, err := n.host.NewStream(ctx, p, metaProtocol)
	if err != nil {
		return holderAnswer{err: err}
	}
	defer st.Close()
	deadline, _ := ctx.Deadline()
	st.SetDeadline(deadline)
	if _, err := st.Write(id[:]); err != nil {
		st.Reset()
		return holderAnswer{err: err}
	}
	st.CloseWrite()
	var status [1]byte
	if _, err := io.ReadFull(st, status[:]); err != nil {
		return holderAnswer{err: err}
	}
	if status[0] != metaHeld {
		return holderAnswer{err: fmt.Errorf("%s does not hold %s", p, id)}
	}
	name, err := readField16(st, maxPeerName)
	if err != nil {
		return holderAnswer{err: err}
	}
	mi, err := readField32(st, maxMetaInfo)
	return holderAnswer{name: string(name), mi: mi, err: err}
}

// remoteCandidates are the members that may hold e's data: its holders
// by placement, then its writer; never this node.
func (n *Node) remoteCandidates(ctx context.Context, e *catalog.Entry) []peer.ID {
	cands := without(n.holders(ctx, e.InfoHash), n.mem.id)
	if w, err := peer.Decode(e.Writer); err == nil && w != n.mem.id && !slices.Contains(cands, w) {
		cands = append(cands, w)
	}
	return cands
}

// findHolders asks the candidates at once and returns the metainfo and
// the swarm names of those that hold id, waiting for the first answer
// and then briefly for more. ErrNoHolder if none does.
func (n *Node) findHolders(ctx context.Context, id swarm.ID, cands []peer.ID) ([]byte, []string, error) {
	ctx, cancel := context.WithTimeout(ctx, metaTimeout)
	defer cancel()
	answers := make(chan holderAnswer, len(cands))
	for _, p := range cands {
		go func() { answers <- n.askMeta(ctx, p, id) }()
	}
	var (
		mi    []byte
		names []string
		grace <-chan time.Time
		errs  []error
	)
	for range cands {
		select {
		case a := <-answers:
			if a.err != nil {
				errs = append(errs, a.err)
				continue
			}
			if mi == nil {
				mi, grace = a.mi, time.After(moreHoldersGrace)
			}
			names = append(names, a.name)
		case <-grace:
			return mi, names, nil
		case <-ctx.Done():
			errs = append(errs, ctx.Err())
		}
		if ctx.Err() != nil {
			break
		}
	}
	if mi == nil {
		return nil, nil, fmt.Errorf("%w: asked %d members: %v", ErrNoHolder, len(cands), errs)
	}
	return mi, names, nil
}

// openRemote streams e's data from the members that hold it.
func (n *Node) openRemote(ctx context.Context, e *catalog.Entry) (io.ReadSeekCloser, error) {
	if n.host == nil {
		return nil, ErrNoHolder
	}
	mi, names, err := n.findHolders(ctx, e.InfoHash, n.remoteCandidates(ctx, e))
	if err != nil {
		return nil, err
	}
	return n.swarm.OpenRemote(ctx, e.InfoHash, mi, names)
}

// fetchRemote downloads e's data from the members that hold it and
// returns holding one swarm reference, as Ref would.
func (n *Node) fetchRemote(ctx context.Context, e *catalog.Entry) error {
	if n.host == nil {
		return ErrNoHolder
	}
	mi, names, err := n.findHolders(ctx, e.InfoHash, n.remoteCandidates(ctx, e))
	if err != nil {
		return err
	}
	_, err = n.swarm.Fetch(ctx, e.InfoHash, mi, names)
	return err
}
