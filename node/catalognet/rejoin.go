package catalognet

import (
	"context"
	"log/slog"
	"time"

	"github.com/libp2p/go-libp2p/core/event"
	"github.com/libp2p/go-libp2p/core/host"
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

// RejoinLoop calls rejoin (catalog.Rejoin) after members connect to h,
// so that the writes and deletes made on the other side of a healed
// partition merge without waiting for a client's read. It returns when
// ctx ends.
func RejoinLoop(ctx context.Context, h host.Host, rejoin func(), log *slog.Logger) {
	sub, err := h.EventBus().Subscribe(new(event.EvtPeerConnectednessChanged))
	if err != nil {
		log.Warn("subscribe to connections: catalogues re-merge only on reads", "err", err)
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
			rejoin()
			again.Reset(rejoinAgain)
		case <-again.C:
			rejoin()
		}
	}
}

// stoppedTimer returns a timer that fires only once Reset.
func stoppedTimer() *time.Timer {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return t
}
