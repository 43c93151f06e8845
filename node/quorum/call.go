package quorum

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/d3s/d3s/node/p2p"
)

var (
	errNotStarted = errors.New("quorum: host not started")
	errClosing    = errors.New("quorum: node closing")
)

// reply is one member's answer to an operation, or why it gave none.
type reply struct {
	from peer.ID
	resp *response
	err  error
}

// broadcast sends req to every one of members at once (this node's own
// served locally) and returns the channel their replies arrive on, one
// per member. The calls run as the node's background work, each ended
// by deadline (or the node's lifetime), so that the caller may stop
// reading once its outcome is decided.
func (q *Quorum) broadcast(members []peer.ID, req *request, deadline time.Time) <-chan reply {
	req.digest = digest(members)
	wire := req.encode()
	out := make(chan reply, len(members))
	for _, p := range members {
		if !q.life.Go(func() { out <- q.call(p, req, wire, deadline) }) {
			out <- reply{from: p, err: errClosing}
		}
	}
	return out
}

// call asks member p, this node's own member directly.
func (q *Quorum) call(p peer.ID, req *request, wire []byte, deadline time.Time) reply {
	if p == q.self {
		return reply{from: p, resp: q.serve(req)}
	}
	ctx, cancel := context.WithDeadline(q.life.Context(), deadline)
	defer cancel()
	a, err := q.ask(ctx, p, wire)
	if err != nil {
		return reply{from: p, err: err}
	}
	q.learn(a.members...)
	return reply{from: p, resp: a}
}

// ask sends one request to p over a new stream, dialling p first (at
// most dialTimeout) when it is not connected.
func (q *Quorum) ask(ctx context.Context, p peer.ID, wire []byte) (*response, error) {
	ref := q.host.Load()
	if ref == nil {
		return nil, errNotStarted
	}
	h := ref.Host
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(p2p.RequestTimeout)
	}
	if h.Network().Connectedness(p) != network.Connected {
		dctx, cancel := context.WithTimeout(ctx, min(time.Until(deadline), dialTimeout))
		err := h.Connect(dctx, peer.AddrInfo{ID: p})
		cancel()
		if err != nil {
			return nil, fmt.Errorf("dial %s: %w", p, err)
		}
	}
	st, err := h.NewStream(ctx, p, Protocol)
	if err != nil {
		return nil, fmt.Errorf("open stream to %s: %w", p, err)
	}
	if d := time.Now().Add(p2p.RequestTimeout); d.Before(deadline) {
		deadline = d
	}
	st.SetDeadline(deadline)
	if _, err := st.Write(wire); err != nil {
		st.Reset()
		return nil, fmt.Errorf("send to %s: %w", p, err)
	}
	st.CloseWrite()
	a, err := readResponse(bufio.NewReader(st))
	if err != nil {
		st.Reset()
		return nil, fmt.Errorf("answer of %s: %w", p, err)
	}
	st.Close()
	return a, nil
}
