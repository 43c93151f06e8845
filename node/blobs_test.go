package node

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/d3s/d3s/node/catalognet"
	"github.com/d3s/d3s/s3"
	"github.com/d3s/d3s/swarm"
)

// putSmall PUTs count small objects into gcbucket through n.
func putSmall(t *testing.T, n *Node, u s3.User, prefix string, count int) {
	t.Helper()
	for i := range count {
		data := fmt.Appendf(nil, "%s object %d", prefix, i)
		if _, err := n.PutObject(t.Context(), u, "gcbucket", fmt.Sprintf("%s%04d", prefix, i), bytes.NewReader(data), s3.PutOptions{Size: int64(len(data))}); err != nil {
			t.Fatalf("PUT %d: %v", i, err)
		}
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if err := n.cat.Flush(ctx); err != nil {
		t.Fatalf("publish: %v", err)
	}
}

// wantUnavailable checks that err is S3's 503 ServiceUnavailable.
func wantUnavailable(t *testing.T, op string, err error) {
	t.Helper()
	var code s3.Code
	if !errors.As(err, &code) || code != s3.ErrServiceUnavailable || code.Status() != 503 {
		t.Fatalf("%s on a bucket whose index cannot be fetched: %v, want 503 ServiceUnavailable", op, err)
	}
}

// TestUnfetchableIndexAnswers503: a node that knows a bucket but never
// merged its index, and that holds none of its snapshot blobs (it
// refused replicas), answers LIST, GET and HEAD with 503 once every
// holder of the blobs is stopped: never an empty listing or NoSuchKey.
func TestUnfetchableIndexAnswers503(t *testing.T) {
	nodes, u := startThree(t, repairConfig)
	reader := startNodeWith(t, token(t, nodes[0]), func(c *Config) {
		repairConfig(c)
		c.refuseReplicas = true
	})
	eventually(t, 10*time.Second, "the reader knows the bucket", func() bool {
		list, err := reader.ListBuckets(t.Context(), u)
		return err == nil && len(list) == 1
	})
	putSmall(t, nodes[0], u, "k", 600)
	ids, err := nodes[0].cat.SnapshotBlobs(u.AccessKeyID, "gcbucket")
	if err != nil || len(ids) < 2 {
		t.Fatalf("no snapshot cut after 600 writes: %d blobs, %v", len(ids), err)
	}
	for _, n := range nodes {
		n.Close()
	}
	_, err = reader.ListObjects(t.Context(), u, "gcbucket", s3.ListOptions{MaxKeys: 1000})
	wantUnavailable(t, "LIST", err)
	_, _, err = reader.GetObject(t.Context(), u, "gcbucket", "k0001")
	wantUnavailable(t, "GET", err)
	_, err = reader.HeadObject(t.Context(), u, "gcbucket", "k0001")
	wantUnavailable(t, "HEAD", err)
}

// TestLiveSnapshotBlobsSurviveCollection: a holder that is not the
// writer keeps the snapshot blobs the live manifest lists through sweeps
// and orphan scans (they are live references), and collects a blob that
// a later manifest replaced.
func TestLiveSnapshotBlobsSurviveCollection(t *testing.T) {
	nodes, u := startThree(t, repairConfig)
	putSmall(t, nodes[0], u, "a", 600)
	first, err := nodes[0].cat.SnapshotBlobs(u.AccessKeyID, "gcbucket")
	if err != nil || len(first) < 2 {
		t.Fatalf("no snapshot cut: %d blobs, %v", len(first), err)
	}
	holder := nodes[1]
	manifest, ok := catalognet.BlobObject(first[0])
	if !ok {
		t.Fatalf("manifest ID %x is not a placed blob ID", first[0])
	}
	eventually(t, 30*time.Second, "node 2 holds the manifest as a replica", func() bool {
		held, err := holder.ledger.IsReplica(manifest)
		return err == nil && held
	})
	// Mark every blob a candidate, as a release notice would: no sweep
	// may collect one while the head lists it.
	var live []swarm.ID
	for _, id := range first {
		if sid, ok := catalognet.BlobObject(id); ok {
			live = append(live, sid)
			holder.ledger.MarkCandidate(sid)
		}
	}
	// Sweep until the candidates are past the sweep's grace (5 s).
	for deadline := time.Now().Add(7 * time.Second); time.Now().Before(deadline); {
		if err := holder.collect.Sweep(t.Context()); err != nil {
			t.Fatalf("sweep: %v", err)
		}
		for _, sid := range live {
			if held, err := holder.ledger.IsReplica(sid); err != nil || !held {
				t.Fatalf("a sweep collected live blob %s (%v)", sid, err)
			}
		}
	}
	refs, err := holder.collect.LiveRefs(t.Context(), map[swarm.ID]time.Time{manifest: {}})
	if err != nil || !refs[manifest] {
		t.Fatalf("LiveRefs does not count the live manifest (%v)", err)
	}
	if held, err := holder.ledger.IsReplica(manifest); err != nil || !held {
		t.Fatalf("a sweep collected the live manifest (%v)", err)
	}
	// A new cut replaces the manifest: the old one is collected once its
	// release notices come (the catalogue's blob grace, 30 s) and a
	// sweep finds no manifest listing it.
	putSmall(t, nodes[0], u, "b", 600)
	eventually(t, 90*time.Second, "the replaced manifest collected on node 2", func() bool {
		held, err := holder.ledger.IsReplica(manifest)
		return err == nil && !held
	})
	now, err := nodes[0].cat.SnapshotBlobs(u.AccessKeyID, "gcbucket")
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range now {
		sid, _ := catalognet.BlobObject(id)
		if held, err := holder.ledger.IsReplica(sid); err == nil && held {
			continue
		}
		// Node 2 may not be a holder of every blob: check it can serve it.
		if _, err := holder.blobs.GetBlob(t.Context(), id, ""); err != nil {
			t.Fatalf("live blob %x unreadable from node 2: %v", id[:8], err)
		}
	}
}
