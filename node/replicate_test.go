package node

import (
	"bytes"
	"errors"
	"testing"

	"github.com/d3s/d3s/node/p2p"
	"github.com/d3s/d3s/node/replicate"
	"github.com/d3s/d3s/swarm"
)

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
	n.ledger.Release(t.Context(), obj.ID) // the test's own reference: now only the replica holds it
	good := replicate.Request{ID: obj.ID, Size: int64(len(data)), Inline: data, HasInline: true}
	if err := n.repl.Keep(t.Context(), good); err != nil {
		t.Fatalf("inline replica: %v", err)
	}
	if held, _ := n.ledger.IsReplica(obj.ID); !held {
		t.Fatal("inline replica not recorded")
	}
	forged := []byte("other bytes, same len")
	bad := replicate.Request{ID: swarm.ID{9}, Size: int64(len(forged)), Inline: forged, HasInline: true}
	if err := n.repl.Keep(t.Context(), bad); !errors.Is(err, p2p.ErrBadMessage) {
		t.Fatalf("forged inline bytes: %v, want p2p.ErrBadMessage", err)
	}
	if held, _ := n.ledger.IsReplica(bad.ID); held {
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
