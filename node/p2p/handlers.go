package p2p

import (
	"time"

	"github.com/libp2p/go-libp2p/core/network"

	"github.com/d3s/d3s/internal/lifetime"
)

// Bounds shared by the D3S request/response protocols.
const (
	// RequestTimeout bounds reading a request off a stream (and, for
	// the quick protocols, answering it).
	RequestTimeout = 30 * time.Second
	// MaxMetaInfo bounds a metainfo: 20 bytes per piece, and a header.
	MaxMetaInfo = 16 << 20
	// MaxPeerName bounds a swarm peer name.
	MaxPeerName = 512
)

// Tracked wraps a D3S protocol handler: it runs only while life is open,
// counted as background work that shutdown waits for, and the stream is
// closed after it (reset when the node is closing).
func Tracked(life *lifetime.Group, h network.StreamHandler) network.StreamHandler {
	return func(st network.Stream) {
		defer st.Close()
		if !life.Begin() {
			st.Reset()
			return
		}
		defer life.End()
		h(st)
	}
}
