package node

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/d3s/d3s/s3"
	"github.com/d3s/d3s/swarm"
)

// startNodeWith starts a loopback node like startNetNode, with edit
// applied to its config.
func startNodeWith(t *testing.T, token string, edit func(*Config)) *Node {
	t.Helper()
	cfg := netConfig(t.TempDir(), token)
	edit(&cfg)
	n, err := New(cfg)
	if err != nil {
		t.Fatalf("new node: %v", err)
	}
	t.Cleanup(func() { n.Close() })
	if err := n.Start(t.Context()); err != nil {
		t.Fatalf("start node: %v", err)
	}
	return n
}

// startThree starts a network of three nodes sharing edit and a bucket.
func startThree(t *testing.T, edit func(*Config)) ([]*Node, s3.User) {
	t.Helper()
	n1 := startNodeWith(t, "", edit)
	n2 := startNodeWith(t, token(t, n1), edit)
	u := s3.User{AccessKeyID: n1.FirstUser().AccessKeyID, Name: "admin"}
	if err := n1.CreateBucket(t.Context(), u, "gcbucket"); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "node 2 sees the bucket", func() bool {
		list, err := n2.ListBuckets(t.Context(), u)
		return err == nil && len(list) == 1
	})
	nodes := []*Node{n1, n2, startNodeWith(t, token(t, n1), edit)}
	for _, n := range nodes {
		eventually(t, 10*time.Second, "every node sees the bucket", func() bool {
			list, err := n.ListBuckets(t.Context(), u)
			return err == nil && len(list) == 1
		})
	}
	return nodes, u
}

// putIn stores data under key on n and returns its swarm ID.
func putIn(t *testing.T, n *Node, u s3.User, key string, data []byte) swarm.ID {
	t.Helper()
	if _, err := n.PutObject(t.Context(), u, "gcbucket", key, bytes.NewReader(data), s3.PutOptions{Size: int64(len(data))}); err != nil {
		t.Fatalf("PUT %s: %v", key, err)
	}
	return swarmIDOf(t, data)
}

// stored reports whether n's swarm has id.
func stored(t *testing.T, n *Node, id swarm.ID) bool {
	t.Helper()
	_, err := n.swarm.Stat(t.Context(), id)
	if err != nil && !errors.Is(err, swarm.ErrNotFound) {
		t.Fatalf("stat %s: %v", id, err)
	}
	return err == nil
}

// getBytes GETs key on n and checks its bytes.
func getBytes(t *testing.T, n *Node, u s3.User, key string, want []byte) {
	t.Helper()
	_, r, err := n.GetObject(t.Context(), u, "gcbucket", key)
	if err != nil {
		t.Fatalf("GET %s: %v", key, err)
	}
	got, err := io.ReadAll(r)
	r.Close()
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("GET %s: %d bytes, %v; want the %d bytes put", key, len(got), err, len(want))
	}
}

func randomBytes(t *testing.T, size int) []byte {
	t.Helper()
	b := make([]byte, size)
	rand.Read(b)
	return b
}

func TestDeleteCollectsReplicas(t *testing.T) {
	nodes, u := startThree(t, func(c *Config) { c.ReplicaGC = 100 * time.Millisecond })
	gone, shared := randomBytes(t, 300<<10), randomBytes(t, 200<<10)
	goneID := putIn(t, nodes[0], u, "gone", gone)
	sharedID := putIn(t, nodes[0], u, "shared1", shared)
	putIn(t, nodes[0], u, "shared2", shared)
	for _, n := range nodes {
		eventually(t, 20*time.Second, "every node holds both objects (R=3)", func() bool {
			return stored(t, n, goneID) && stored(t, n, sharedID)
		})
	}
	for _, key := range []string{"gone", "shared1"} {
		if err := nodes[0].DeleteObject(t.Context(), u, "gcbucket", key); err != nil {
			t.Fatalf("DELETE %s: %v", key, err)
		}
	}
	for i, n := range nodes {
		deadline := time.Now().Add(20 * time.Second)
		for stored(t, n, goneID) {
			if time.Now().After(deadline) {
				replica, _ := n.isReplica(goneID)
				cands, _ := n.candidates()
				t.Fatalf("node %d (writer: node 0) still holds the deleted object's bytes after 20 s: replica reference %v, collection candidates %v",
					i, replica, cands)
			}
			time.Sleep(20 * time.Millisecond)
		}
		if !stored(t, n, sharedID) {
			t.Errorf("node %d dropped the bytes another live key shares", i)
		}
		getBytes(t, n, u, "shared2", shared)
	}
}

func TestIdleTorrentsUnload(t *testing.T) {
	nodes, u := startThree(t, func(c *Config) {
		c.Replicas, c.SyncReplicas, c.SeedIdle = 1, 1, 300*time.Millisecond
	})
	data := randomBytes(t, 2<<20)
	id := putIn(t, nodes[0], u, "k", data)
	holders := nodes[0].holders(t.Context(), id)
	var reader *Node
	for _, n := range nodes[1:] {
		if len(holders) > 0 && n.mem.id != holders[0] {
			reader = n
		}
	}
	if reader == nil {
		t.Fatalf("no node outside holders %v", holders)
	}
	eventually(t, 10*time.Second, "the reader sees the object", func() bool {
		_, err := reader.HeadObject(t.Context(), u, "gcbucket", "k")
		return err == nil
	})
	for round := range 2 {
		getBytes(t, reader, u, "k", data)
		for _, n := range nodes {
			if n == reader {
				continue
			}
			eventually(t, 10*time.Second, "holders stop seeding an idle object", func() bool {
				return !n.swarm.Seeding(id)
			})
		}
		// Drop the reader's cached copy so that the next GET is remote
		// again, and the holders must load the torrent again.
		if err := reader.swarm.Evict(context.WithoutCancel(t.Context()), id); err != nil && !errors.Is(err, swarm.ErrNotFound) {
			t.Fatalf("round %d: evict: %v", round, err)
		}
	}
}
