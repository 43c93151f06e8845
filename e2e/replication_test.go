package e2e

import (
	"fmt"
	"testing"
	"time"

	"github.com/d3s/d3s/node"
)

// replicatedObject is one object of the replication tests.
type replicatedObject struct {
	key    string
	size   int
	writer int // index of the node it is PUT on
	sum    string
}

// getSHA256 GETs bucket/key from n and returns the body's SHA-256.
func (n *testNode) getSHA256(t testing.TB, bucket, key string) (string, error) {
	r, err := n.send(t, "GET", "/"+bucket+"/"+key, nil)
	if err != nil {
		return "", err
	}
	if r.status != 200 {
		return "", fmt.Errorf("GET %s: %d %s", key, r.status, r.code())
	}
	return sha256Hex(r.body), nil
}

// holders counts the nodes of c holding bucket/key as holders.
func (c *cluster) holders(t testing.TB, bucket, key string) int {
	cnt := 0
	for _, n := range c.nodes {
		if ok, err := n.Holds(t.Context(), n.access, bucket, key); err == nil && ok {
			cnt++
		}
	}
	return cnt
}

// TestReplicationAcrossFiveNodes PUTs objects of 1 KiB, 1 MiB and 20 MiB
// on different nodes of five; each reads back from every node with the
// same SHA-256, and within 60 s at least R = 3 nodes hold each.
func TestReplicationAcrossFiveNodes(t *testing.T) {
	c := startCluster(t, 5)
	c.createEverywhere(t, "repl")
	objs := []replicatedObject{
		{key: "small", size: 1 << 10, writer: 0},
		{key: "medium", size: 1 << 20, writer: 1},
		{key: "large", size: 20 << 20, writer: 2},
	}
	for i := range objs {
		o := &objs[i]
		var data []byte
		data, o.sum = randomBytes(t, o.size)
		start := time.Now()
		if r := c.nodes[o.writer].do(t, "PUT", "/repl/"+o.key, data); r.status != 200 {
			t.Fatalf("PUT %s on node %d: %d %s", o.key, o.writer+1, r.status, r.body)
		}
		t.Logf("PUT %s (%d bytes) on node %d acknowledged after %v", o.key, o.size, o.writer+1, time.Since(start))
	}
	c.waitAllList(t, "repl", len(objs))
	for _, o := range objs {
		for i, n := range c.nodes {
			took := eventually(t, 30*time.Second, fmt.Sprintf("GET %s on node %d", o.key, i+1), func() error {
				sum, err := n.getSHA256(t, "repl", o.key)
				if err == nil && sum != o.sum {
					t.Fatalf("GET %s on node %d: SHA-256 %s, want %s", o.key, i+1, sum, o.sum)
				}
				return err
			})
			t.Logf("GET %s on node %d: %v", o.key, i+1, took)
		}
	}
	for _, o := range objs {
		took := eventually(t, 60*time.Second, o.key+" held by R nodes", func() error {
			if h := c.holders(t, "repl", o.key); h < node.DefaultReplicas {
				return fmt.Errorf("%d holders", h)
			}
			return nil
		})
		t.Logf("%s held by %d nodes after %v", o.key, c.holders(t, "repl", o.key), took)
	}
}

// TestWriterKilledAfterAck kills the writer as soon as its PUT (with the
// default sync replicas, 2) is acknowledged and visible elsewhere: the
// object must still be readable from the other nodes.
func TestWriterKilledAfterAck(t *testing.T) {
	c := startCluster(t, 4)
	c.createEverywhere(t, "survive")
	writer, reader := c.nodes[1], c.nodes[3]
	data, sum := randomBytes(t, 3<<20)
	if r := writer.do(t, "PUT", "/survive/obj", data); r.status != 200 {
		t.Fatalf("PUT: %d %s", r.status, r.body)
	}
	// The catalogue entry must reach the reader before the writer dies
	// (the entry, not the data, is what this wait is for).
	eventually(t, 10*time.Second, "entry visible on the reader", func() error {
		if r := reader.do(t, "HEAD", "/survive/obj", nil); r.status != 200 {
			return fmt.Errorf("HEAD %d", r.status)
		}
		return nil
	})
	if err := writer.Close(); err != nil {
		t.Logf("close writer: %v", err)
	}
	for _, i := range []int{0, 2, 3} {
		n := c.nodes[i]
		eventually(t, 30*time.Second, fmt.Sprintf("GET on node %d after the writer died", i+1), func() error {
			got, err := n.getSHA256(t, "survive", "obj")
			if err == nil && got != sum {
				t.Fatalf("node %d: SHA-256 %s, want %s", i+1, got, sum)
			}
			return err
		})
	}
}
