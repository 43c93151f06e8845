package node

import (
	"context"
	"time"

	"github.com/libp2p/go-libp2p/core/event"
	"github.com/libp2p/go-libp2p/core/network"
)

// Catalogue revalidation after a member (re)connects: rejoinDelay after
// the last connection of a burst (a healed partition reconnects several
// members within a second or two, and kad-dht takes a member back into
// its routing table after a lookup check), and again rejoinAgain later,
// for the heads the other side republished after its own first pass.
const (
	rejoinDelay = time.Second
	rejoinAgain = 4 * time.Second
)

// rejoinLoop calls catalog.Rejoin after members connect, so that the
// writes and deletes made on the other side of a healed partition merge
// without waiting for a client's read.
func (n *Node) rejoinLoop(ctx context.Context) {
	sub, err := n.host.EventBus().Subscribe(new(event.EvtPeerConnectednessChanged))
	if err != nil {
		n.log.Warn("subscribe to connections: catalogues re-merge only on reads", "err", err)
		return
	}
	defer sub.Close()
	first, again := stoppedTimer(), stoppedTimer()
	for {
		select {
		case <-ctx.Done():
			return
		case ev := <-sub.Out():
			if ev.(event.EvtPeerConnectednessChanged).Connectedness == network.Connected {
				first.Reset(rejoinDelay)
			}
		case <-first.C:
			n.cat.Rejoin()
			again.Reset(rejoinAgain)
		case <-again.C:
			n.cat.Rejoin()
		}
	}
}

// stoppedTimer returns a timer that fires only once Reset.
func stoppedTimer() *time.Timer {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return t
}
