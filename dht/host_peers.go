package dht

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/libp2p/go-libp2p/core/event"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"

	"github.com/d3s/d3s/dht/record"
)

// PeersPrefix prefixes, in the node's badger database, the stored
// addresses of the peers this node has identified.
const PeersPrefix = "dht/peers/"

// maxKnownPeers bounds the peers kept; the least recently seen go first.
const maxKnownPeers = 256

// peerBook records the listen addresses of every peer the host identifies.
type peerBook struct {
	db   *badger.DB
	self peer.ID
	log  *slog.Logger
	sub  event.Subscription
	wg   sync.WaitGroup
}

func newPeerBook(h host.Host, db *badger.DB, log *slog.Logger) (*peerBook, error) {
	sub, err := h.EventBus().Subscribe(new(event.EvtPeerIdentificationCompleted))
	if err != nil {
		return nil, fmt.Errorf("subscribe to identify events: %w", err)
	}
	b := &peerBook{db: db, self: h.ID(), log: log, sub: sub}
	b.wg.Go(b.run)
	return b, nil
}

// run stores each identified peer until the subscription closes.
func (b *peerBook) run() {
	for ev := range b.sub.Out() {
		e := ev.(event.EvtPeerIdentificationCompleted)
		if e.Peer == b.self || len(e.ListenAddrs) == 0 {
			continue
		}
		if err := b.store(e.Peer, e.ListenAddrs, time.Now()); err != nil {
			b.log.Warn("store peer addresses", "peer", e.Peer, "err", err)
		}
	}
}

func (b *peerBook) close() {
	b.sub.Close()
	b.wg.Wait()
}

func (b *peerBook) store(p peer.ID, addrs []ma.Multiaddr, seen time.Time) error {
	val := binary.BigEndian.AppendUint64(nil, uint64(seen.UnixNano()))
	val = binary.BigEndian.AppendUint16(val, uint16(min(len(addrs), 64)))
	for _, a := range addrs[:min(len(addrs), 64)] {
		val = binary.BigEndian.AppendUint16(val, uint16(len(a.Bytes())))
		val = append(val, a.Bytes()...)
	}
	return b.db.Update(func(txn *badger.Txn) error {
		return txn.Set([]byte(PeersPrefix+string(p)), val)
	})
}

// knownPeer is one stored peer.
type knownPeer struct {
	info peer.AddrInfo
	seen int64
}

// load returns the stored peers, most recently seen first, and forgets all
// but the maxKnownPeers most recent.
func (b *peerBook) load() ([]peer.AddrInfo, error) {
	var all []knownPeer
	err := b.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(PeersPrefix), PrefetchValues: true, PrefetchSize: 64})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			id := peer.ID(it.Item().Key()[len(PeersPrefix):])
			if err := it.Item().Value(func(v []byte) error {
				if kp, ok := decodeKnownPeer(id, v); ok {
					all = append(all, kp)
				}
				return nil
			}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load known peers: %w", err)
	}
	slices.SortFunc(all, func(a, b knownPeer) int { return cmp.Compare(b.seen, a.seen) })
	if len(all) > maxKnownPeers {
		b.forget(all[maxKnownPeers:])
		all = all[:maxKnownPeers]
	}
	out := make([]peer.AddrInfo, len(all))
	for i, kp := range all {
		out[i] = kp.info
	}
	return out, nil
}

func (b *peerBook) forget(old []knownPeer) {
	err := b.db.Update(func(txn *badger.Txn) error {
		for _, kp := range old {
			if err := txn.Delete([]byte(PeersPrefix + string(kp.info.ID))); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.log.Warn("forget old peers", "err", err)
	}
}

// decodeKnownPeer decodes a stored entry; a corrupt one is skipped.
func decodeKnownPeer(id peer.ID, v []byte) (knownPeer, bool) {
	d := record.NewReader(v)
	kp := knownPeer{info: peer.AddrInfo{ID: id}, seen: int64(d.U64())}
	n := int(d.U16())
	for i := 0; i < n && !d.Failed(); i++ {
		a, err := ma.NewMultiaddrBytes(d.Take(int(d.U16())))
		if err == nil {
			kp.info.Addrs = append(kp.info.Addrs, a)
		}
	}
	return kp, !d.Failed() && len(kp.info.Addrs) > 0 && id.Validate() == nil
}
