package replicate

import (
	"bytes"
	"errors"
	"testing"

	"github.com/d3s/d3s/node/p2p"
	"github.com/d3s/d3s/swarm"
)

// TestReplicateRequestRoundTrip encodes and decodes requests with and
// without inline bytes, and refuses inline bytes whose length is not the
// object's size.
func TestReplicateRequestRoundTrip(t *testing.T) {
	id := swarm.ID{1, 2, 3}
	for _, q := range []Request{
		{ID: id, Size: 5 << 20, MetaInfo: []byte("metainfo"), Peers: []string{"a", "b"}},
		{ID: id, Size: 5, MetaInfo: []byte("mi"), Peers: []string{"a"}, Inline: []byte("hello"), HasInline: true},
		{ID: id, Size: 0, MetaInfo: []byte("mi"), HasInline: true},
	} {
		got, err := ReadRequest(bytes.NewReader(q.Encode()))
		if err != nil {
			t.Fatalf("decode: %v", err)
		}
		if got.ID != q.ID || got.Size != q.Size || !bytes.Equal(got.MetaInfo, q.MetaInfo) || len(got.Peers) != len(q.Peers) ||
			got.HasInline != q.HasInline || !bytes.Equal(got.Inline, q.Inline) {
			t.Errorf("round trip: got %+v, want %+v", got, q)
		}
	}
	bad := Request{ID: id, Size: 6, MetaInfo: []byte("mi"), Inline: []byte("hello"), HasInline: true}
	if _, err := ReadRequest(bytes.NewReader(bad.Encode())); !errors.Is(err, p2p.ErrBadMessage) {
		t.Errorf("5 inline bytes for a 6-byte object: %v, want p2p.ErrBadMessage", err)
	}
}
