package node

import (
	"bytes"
	"errors"
	"testing"

	"github.com/d3s/d3s/swarm"
)

// TestReplicateRequestRoundTrip encodes and decodes requests with and
// without inline bytes, and refuses inline bytes whose length is not the
// object's size.
func TestReplicateRequestRoundTrip(t *testing.T) {
	id := swarm.ID{1, 2, 3}
	for _, q := range []replicateRequest{
		{id: id, size: 5 << 20, mi: []byte("metainfo"), peers: []string{"a", "b"}},
		{id: id, size: 5, mi: []byte("mi"), peers: []string{"a"}, inline: []byte("hello"), hasInline: true},
		{id: id, size: 0, mi: []byte("mi"), hasInline: true},
	} {
		got, err := readReplicateRequest(bytes.NewReader(q.encode()))
		if err != nil {
			t.Fatalf("decode: %v", err)
		}
		if got.id != q.id || got.size != q.size || !bytes.Equal(got.mi, q.mi) || len(got.peers) != len(q.peers) ||
			got.hasInline != q.hasInline || !bytes.Equal(got.inline, q.inline) {
			t.Errorf("round trip: got %+v, want %+v", got, q)
		}
	}
	bad := replicateRequest{id: id, size: 6, mi: []byte("mi"), inline: []byte("hello"), hasInline: true}
	if _, err := readReplicateRequest(bytes.NewReader(bad.encode())); !errors.Is(err, errBadMessage) {
		t.Errorf("5 inline bytes for a 6-byte object: %v, want errBadMessage", err)
	}
}

// TestInlineReplicaChecksContent stores a replica from inline bytes, and
// refuses bytes that do not hash to the announced infohash, keeping
// nothing of them.
func TestInlineReplicaChecksContent(t *testing.T) {
	n := openNode(t, t.TempDir())
	data := []byte("replicated inline")
	obj, err := n.swarm.Put(t.Context(), bytes.NewReader(data), int64(len(data)), swarm.Expect{})
	if err != nil {
		t.Fatal(err)
	}
	n.release(t.Context(), obj.ID) // the test's own reference: now only the replica holds it
	good := replicateRequest{id: obj.ID, size: int64(len(data)), inline: data, hasInline: true}
	if err := n.keepReplica(t.Context(), good); err != nil {
		t.Fatalf("inline replica: %v", err)
	}
	if held, _ := n.isReplica(obj.ID); !held {
		t.Fatal("inline replica not recorded")
	}
	forged := []byte("other bytes, same len")
	bad := replicateRequest{id: swarm.ID{9}, size: int64(len(forged)), inline: forged, hasInline: true}
	if err := n.keepReplica(t.Context(), bad); !errors.Is(err, errBadMessage) {
		t.Fatalf("forged inline bytes: %v, want errBadMessage", err)
	}
	if held, _ := n.isReplica(bad.id); held {
		t.Error("forged replica recorded")
	}
	if _, err := n.swarm.Stat(t.Context(), swarmIDOf(t, forged)); !errors.Is(err, swarm.ErrNotFound) {
		t.Errorf("forged bytes kept: %v", err)
	}
}

// swarmIDOf returns the swarm ID of b (content-addressed), computed by
// storing b in a scratch node.
func swarmIDOf(t *testing.T, b []byte) swarm.ID {
	t.Helper()
	scratch := openNode(t, t.TempDir())
	obj, err := scratch.swarm.Put(t.Context(), bytes.NewReader(b), int64(len(b)), swarm.Expect{})
	if err != nil {
		t.Fatal(err)
	}
	return obj.ID
}
