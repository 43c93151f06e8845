package users

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/libp2p/go-libp2p/core/event"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"

	"github.com/d3s/d3s/dht"
	"github.com/d3s/d3s/dht/record"
)

// Protocol syncs user records between members. The DHT finds a user
// by access key ID but cannot list users, so members also exchange their
// records directly: the initiator sends a batch and a flag, the responder
// stores the valid records of the batch and, when the flag asks for it,
// answers with all of its own records.
//
//	batch: 1 flag (1 = answer with yours) | 4 count n | n x (2 length, record)
//
// A member pushes a new user to every connected peer (flag 0) and, when a
// peer connects, exchanges all records with it (flag 1). Every record is
// checked with record.ValidateUserRecord and must open with the network key.
const Protocol protocol.ID = "/d3s/users/1.0.0"

// User sync bounds.
const (
	maxSyncRecords = 100000
	syncTimeout    = 30 * time.Second
	// maxSyncs bounds the exchanges running at once.
	maxSyncs = 16
)

// Sync publishes and exchanges user records over the DHT and Protocol; it
// is the DB's Network.
type Sync struct {
	// ctx is the node's lifetime: the stream handler's requests end with it.
	ctx   context.Context
	host  *dht.Host
	dht   *dht.DHT
	users *DB
	log   *slog.Logger
	sem   chan struct{}
	fresh *freshness
	wg    *sync.WaitGroup // from Run: counts the exchanges Fresh starts
}

var _ Network = (*Sync)(nil)

// NewSync serves Protocol on h for u, storing the records members send,
// until ctx (the node's lifetime) ends;
// Run starts the exchanges with members that connect.
func NewSync(ctx context.Context, h *dht.Host, d *dht.DHT, u *DB, log *slog.Logger) *Sync {
	s := &Sync{ctx: ctx, host: h, dht: d, users: u, log: log.With("component", "usersync"), sem: make(chan struct{}, maxSyncs), fresh: newFreshness()}
	h.SetStreamHandler(Protocol, s.handle)
	s.watchDisconnects()
	return s
}

// Get implements Network with a DHT lookup.
func (s *Sync) Get(ctx context.Context, key string) ([]byte, error) {
	return s.dht.Get(ctx, key)
}

// Publish implements Network: the record goes to the DHT and to every
// connected member. It fails only when neither took it.
func (s *Sync) Publish(ctx context.Context, key string, record []byte) error {
	var pushed atomic.Int32
	var wg sync.WaitGroup
	for _, p := range s.host.Network().Peers() {
		wg.Go(func() {
			if err := s.send(ctx, p, [][]byte{record}, false); err == nil {
				pushed.Add(1)
			} else {
				s.log.Debug("push user", "peer", p, "err", err)
			}
		})
	}
	putErr := s.dht.Put(ctx, key, record)
	wg.Wait()
	if putErr != nil && pushed.Load() == 0 {
		return putErr
	}
	return nil
}

// Run exchanges records with every peer that connects, until ctx is done;
// the goroutines it starts are counted in wg.
func (s *Sync) Run(ctx context.Context, wg *sync.WaitGroup) error {
	sub, err := s.host.EventBus().Subscribe(new(event.EvtPeerConnectednessChanged))
	if err != nil {
		return fmt.Errorf("user sync: subscribe to connections: %w", err)
	}
	s.wg = wg
	wg.Go(func() {
		defer sub.Close()
		for {
			select {
			case <-ctx.Done():
				return
			case ev := <-sub.Out():
				if e := ev.(event.EvtPeerConnectednessChanged); e.Connectedness == network.Connected {
					s.goExchange(ctx, wg, e.Peer)
				}
			}
		}
	})
	return nil
}

// PublishAll publishes every user the database holds to the DHT, so users
// created before the node was on the network (the first user, or while
// its peers were down) reach it; the DHT republishes them from then on.
// Failures are logged.
func (s *Sync) PublishAll(ctx context.Context) {
	recs, err := s.users.Records(ctx)
	if err != nil {
		s.log.Warn("publish users", "err", err)
		return
	}
	for akid, raw := range recs {
		if err := s.dht.Put(ctx, record.UserKey(akid), raw); err != nil && !errors.Is(err, record.ErrStaleRecord) && ctx.Err() == nil {
			s.log.Debug("publish user", "access_key_id", akid, "err", err)
		}
	}
}

// goExchange exchanges all records with p in the background.
func (s *Sync) goExchange(ctx context.Context, wg *sync.WaitGroup, p peer.ID) {
	select {
	case s.sem <- struct{}{}:
	case <-ctx.Done():
		return
	}
	wg.Go(func() {
		defer func() { <-s.sem }()
		if err := s.exchange(ctx, p); err != nil {
			s.log.Debug("user exchange", "peer", p, "err", err)
		}
	})
}

// exchange sends all local records to p and stores p's; once it has, this
// node's records are merged with the network's (Fresh).
func (s *Sync) exchange(ctx context.Context, p peer.ID) error {
	recs, err := s.users.Records(ctx)
	if err != nil {
		return err
	}
	batch := make([][]byte, 0, len(recs))
	for _, r := range recs {
		batch = append(batch, r)
	}
	if err := s.send(ctx, p, batch, true); err != nil {
		return err
	}
	s.fresh.markMerged()
	return nil
}

// send writes batch to p and, with reply, stores p's answer.
func (s *Sync) send(ctx context.Context, p peer.ID, batch [][]byte, reply bool) error {
	ctx, cancel := context.WithTimeout(ctx, syncTimeout)
	defer cancel()
	st, err := s.host.NewStream(ctx, p, Protocol)
	if err != nil {
		return err
	}
	defer st.Close()
	st.SetDeadline(time.Now().Add(syncTimeout))
	if err := writeBatch(st, batch, reply); err != nil {
		st.Reset()
		return err
	}
	if err := st.CloseWrite(); err != nil || !reply {
		return err
	}
	theirs, _, err := readBatch(st)
	if err != nil {
		st.Reset()
		return err
	}
	s.storeAll(theirs, p)
	return nil
}

// handle serves one Protocol stream.
func (s *Sync) handle(st network.Stream) {
	defer st.Close()
	st.SetDeadline(time.Now().Add(syncTimeout))
	batch, reply, err := readBatch(st)
	if err != nil {
		s.log.Debug("user sync: bad batch", "peer", st.Conn().RemotePeer(), "err", err)
		st.Reset()
		return
	}
	s.storeAll(batch, st.Conn().RemotePeer())
	if !reply {
		return
	}
	ctx, cancel := context.WithTimeout(s.ctx, syncTimeout)
	defer cancel()
	recs, err := s.users.Records(ctx)
	if err != nil {
		s.log.Warn("user sync", "err", err)
		st.Reset()
		return
	}
	out := make([][]byte, 0, len(recs))
	for _, r := range recs {
		out = append(out, r)
	}
	if err := writeBatch(st, out, false); err != nil {
		st.Reset()
	}
}

// storeAll stores the valid records of batch; invalid ones are logged.
func (s *Sync) storeAll(batch [][]byte, from peer.ID) {
	for _, raw := range batch {
		rec, err := record.UnmarshalUserRecord(raw)
		if err == nil {
			_, err = s.users.Store(rec.AccessKeyID(), raw)
		}
		if err != nil {
			s.log.Warn("user sync: rejected record", "peer", from, "err", err)
		}
	}
}

// writeBatch writes a batch of records.
func writeBatch(w io.Writer, batch [][]byte, reply bool) error {
	bw := bufio.NewWriter(w)
	flag := byte(0)
	if reply {
		flag = 1
	}
	bw.WriteByte(flag)
	binary.Write(bw, binary.BigEndian, uint32(len(batch)))
	for _, r := range batch {
		binary.Write(bw, binary.BigEndian, uint16(len(r)))
		bw.Write(r)
	}
	return bw.Flush()
}

// readBatch reads a batch of records, each at most record.MaxUserRecordSize.
func readBatch(r io.Reader) (batch [][]byte, reply bool, err error) {
	br := bufio.NewReader(r)
	var hdr [5]byte
	if _, err := io.ReadFull(br, hdr[:]); err != nil {
		return nil, false, fmt.Errorf("read batch header: %w", err)
	}
	n := binary.BigEndian.Uint32(hdr[1:])
	if hdr[0] > 1 || n > maxSyncRecords {
		return nil, false, errors.New("bad batch header")
	}
	for range n {
		var l [2]byte
		if _, err := io.ReadFull(br, l[:]); err != nil {
			return nil, false, fmt.Errorf("read record: %w", err)
		}
		size := int(binary.BigEndian.Uint16(l[:]))
		if size > record.MaxUserRecordSize {
			return nil, false, fmt.Errorf("record of %d bytes", size)
		}
		rec := make([]byte, size)
		if _, err := io.ReadFull(br, rec); err != nil {
			return nil, false, fmt.Errorf("read record: %w", err)
		}
		batch = append(batch, rec)
	}
	return batch, hdr[0] == 1, nil
}
