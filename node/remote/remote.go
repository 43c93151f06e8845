package remote

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync/atomic"
	"time"

	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"

	"github.com/d3s/d3s/catalog"
	"github.com/d3s/d3s/internal/lifetime"
	"github.com/d3s/d3s/node/p2p"
	"github.com/d3s/d3s/node/placement"
	"github.com/d3s/d3s/swarm"
)

// Protocol asks a member whether it holds an object version (see the
// package doc).
const Protocol protocol.ID = "/d3s/meta/1.0.0"

// Protocol status bytes.
const (
	statusHeld    = 0
	statusNotHere = 1
)

// Remote read bounds.
const (
	// askTimeout bounds asking the candidate holders.
	askTimeout = 10 * time.Second
	// moreHoldersGrace is how long, after the first holder answered, the
	// others are given to answer too, so that the read streams from
	// several at once.
	moreHoldersGrace = 200 * time.Millisecond
)

// Seeder loads a stored object as a torrent for a while (package
// replicate unloads it once idle).
type Seeder interface {
	Seed(ctx context.Context, id swarm.ID, size int64) error
}

// Config configures a Reader.
type Config struct {
	Swarm     *swarm.Swarm
	Placement *placement.Placement
	Seeder    Seeder
	// Damaged reports whether the local copy of an object is known to
	// be damaged: such a copy is never offered.
	Damaged func(swarm.ID) bool
	Life    *lifetime.Group
	// Logger receives debug logs of remote reads; nil discards them.
	Logger *slog.Logger
}

// Reader reads from and answers other members.
type Reader struct {
	swarm   *swarm.Swarm
	place   *placement.Placement
	seeder  Seeder
	damaged func(swarm.ID) bool
	life    *lifetime.Group
	log     *slog.Logger
	host    atomic.Pointer[hostRef]
}

type hostRef struct{ host.Host }

// New returns a Reader that reads nothing remotely until Start.
func New(cfg Config) *Reader {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Reader{swarm: cfg.Swarm, place: cfg.Placement, seeder: cfg.Seeder, damaged: cfg.Damaged, life: cfg.Life,
		log: log.With("component", "remote")}
}

// Start serves Protocol on h and reads from its members from now on.
func (r *Reader) Start(h host.Host) {
	r.host.Store(&hostRef{h})
	h.SetStreamHandler(Protocol, p2p.Tracked(r.life, r.handle))
}

// handle serves one Protocol request.
func (r *Reader) handle(st network.Stream) {
	st.SetDeadline(time.Now().Add(p2p.RequestTimeout))
	var id swarm.ID
	if _, err := io.ReadFull(st, id[:]); err != nil {
		st.Reset()
		return
	}
	ctx, cancel := context.WithTimeout(r.life.Context(), p2p.RequestTimeout)
	defer cancel()
	if _, err := st.Write(r.answer(ctx, id)); err != nil {
		st.Reset()
	}
}

// answer is the Protocol answer for id: held (loading it as a torrent)
// with this node's swarm name and the metainfo, or not here.
func (r *Reader) answer(ctx context.Context, id swarm.ID) []byte {
	if r.damaged(id) {
		return []byte{statusNotHere} // offer no damaged copy
	}
	obj, err := r.swarm.Stat(ctx, id)
	if err == nil {
		err = r.seeder.Seed(ctx, id, obj.Size)
	}
	var mi []byte
	if err == nil {
		mi, err = r.swarm.MetaInfo(ctx, id)
	}
	if err != nil {
		r.log.Debug("meta request: not offered", "id", id, "err", err)
		return []byte{statusNotHere}
	}
	return p2p.AppendField32(p2p.AppendField16([]byte{statusHeld}, []byte(r.swarm.Self())), mi)
}

// answerOf is one member's Protocol answer.
type answerOf struct {
	name string // swarm peer name
	mi   []byte
	err  error
}

// ask asks member p whether it holds id.
func (r *Reader) ask(ctx context.Context, h host.Host, p peer.ID, id swarm.ID) answerOf {
	st, err := h.NewStream(ctx, p, Protocol)
	if err != nil {
		return answerOf{err: err}
	}
	defer st.Close()
	deadline, _ := ctx.Deadline()
	st.SetDeadline(deadline)
	if _, err := st.Write(id[:]); err != nil {
		st.Reset()
		return answerOf{err: err}
	}
	st.CloseWrite()
	var status [1]byte
	if _, err := io.ReadFull(st, status[:]); err != nil {
		return answerOf{err: err}
	}
	if status[0] != statusHeld {
		return answerOf{err: fmt.Errorf("%s does not hold %s", p, id)}
	}
	name, err := p2p.ReadField16(st, p2p.MaxPeerName)
	if err != nil {
		return answerOf{err: err}
	}
	mi, err := p2p.ReadField32(st, p2p.MaxMetaInfo)
	return answerOf{name: string(name), mi: mi, err: err}
}

// candidates are the members that may hold e's data: its holders by
// placement, then its writer; never this node.
func (r *Reader) candidates(ctx context.Context, e *catalog.Entry) []peer.ID {
	self := r.place.Self()
	cands := placement.Without(r.place.Holders(ctx, e.InfoHash), self)
	if w, err := peer.Decode(e.Writer); err == nil && w != self && !slices.Contains(cands, w) {
		cands = append(cands, w)
	}
	return cands
}

// FindHolders asks the candidates at once and returns the metainfo and
// the swarm names of those that hold id, waiting for the first answer
// and then briefly for more. The error wraps placement.ErrNoHolder if
// none does.
func (r *Reader) FindHolders(ctx context.Context, id swarm.ID, cands []peer.ID) ([]byte, []string, error) {
	h := r.host.Load()
	if h == nil {
		return nil, nil, placement.ErrNoHolder
	}
	ctx, cancel := context.WithTimeout(ctx, askTimeout)
	defer cancel()
	answers := make(chan answerOf, len(cands))
	for _, p := range cands {
		go func() { answers <- r.ask(ctx, h.Host, p, id) }()
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
		return nil, nil, fmt.Errorf("%w: asked %d members: %v", placement.ErrNoHolder, len(cands), errs)
	}
	return mi, names, nil
}

// Open streams e's data from the members that hold it (wrapping
// placement.ErrNoHolder when none answers).
func (r *Reader) Open(ctx context.Context, e *catalog.Entry) (io.ReadSeekCloser, error) {
	if r.host.Load() == nil {
		return nil, placement.ErrNoHolder
	}
	cands := r.candidates(ctx, e)
	mi, names, err := r.FindHolders(ctx, e.InfoHash, cands)
	r.log.Debug("remote read", "id", swarm.ID(e.InfoHash), "asked", cands, "holding", names, "err", err)
	if err != nil {
		return nil, err
	}
	return r.swarm.OpenRemote(ctx, e.InfoHash, mi, names)
}

// Fetch downloads e's data from the members that hold it and returns
// holding one swarm reference, as swarm.Ref would.
func (r *Reader) Fetch(ctx context.Context, e *catalog.Entry) error {
	if r.host.Load() == nil {
		return placement.ErrNoHolder
	}
	mi, names, err := r.FindHolders(ctx, e.InfoHash, r.candidates(ctx, e))
	if err != nil {
		return err
	}
	_, err = r.swarm.Fetch(ctx, e.InfoHash, mi, names)
	return err
}
