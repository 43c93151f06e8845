package node

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/d3s/d3s/s3"
	"github.com/d3s/d3s/swarm"
)

// putOn stores data under bucket/key through n.
func putOn(t *testing.T, n *Node, u s3.User, bucket, key string, data []byte) s3.ObjectInfo {
	t.Helper()
	info, err := n.PutObject(t.Context(), u, bucket, key, bytes.NewReader(data), s3.PutOptions{Size: int64(len(data))})
	if err != nil {
		t.Fatalf("put %s on %s: %v", key, n.PeerID(), err)
	}
	return info
}

// etagOn returns the ETag n lists for key, "" when it has none.
func etagOn(t *testing.T, n *Node, u s3.User, bucket, key string) string {
	t.Helper()
	info, err := n.HeadObject(t.Context(), u, bucket, key)
	if err != nil {
		return ""
	}
	return info.ETag
}

// TestRemoteOverwriteReleasesLocalBytes: when another node's newer
// version of a key replaces a version written here, this node releases
// its bytes (the file goes); when it replaces a version whose bytes were
// on the other node, nothing is released here, even if a local object
// has the very same bytes.
func TestRemoteOverwriteReleasesLocalBytes(t *testing.T) {
	// A writer that is one of its version's holders also keeps a replica
	// reference once a repair pass ran (repair.go), which the collection
	// sweep drops: sweep often.
	quickGC := func(c *Config) { c.ReplicaGC = 100 * time.Millisecond }
	n1 := startNodeWith(t, "", quickGC)
	dir1 := n1.cfg.DataDir
	n2 := startNodeWith(t, token(t, n1), quickGC)
	u := s3.User{AccessKeyID: n1.FirstUser().AccessKeyID, Name: "admin"}
	if err := n1.CreateBucket(t.Context(), u, "shared"); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "node 2 sees the bucket", func() bool {
		_, err := n2.HeadBucket(t.Context(), u, "shared")
		return err == nil
	})
	local := bytes.Repeat([]byte("written on node 1 "), 64<<10) // > 1 MiB: a file
	twin := bytes.Repeat([]byte("same bytes on both nodes "), 64<<10)
	putOn(t, n1, u, "shared", "local", local)
	mine := putOn(t, n1, u, "shared", "mine", twin)
	remote := putOn(t, n2, u, "shared", "remote", twin) // node 2's version, same bytes as "mine"
	eventually(t, 10*time.Second, "node 1 sees node 2's version", func() bool {
		return etagOn(t, n1, u, "shared", "remote") == remote.ETag
	})
	files := len(objectFiles(t, dir1))
	if files < 2 {
		t.Fatalf("node 1 holds %d object files, want its 2 objects", files)
	}

	old, err := n1.cat.Get(t.Context(), u.AccessKeyID, "shared", "local")
	if err != nil {
		t.Fatal(err)
	}
	over := putOn(t, n2, u, "shared", "local", []byte("node 2 overwrites"))
	// Node 1 receives a replica of the new version (a holder of two
	// nodes' network is both), so it is the old version's bytes that
	// must go, not the number of files.
	eventually(t, 20*time.Second, "node 1 drops its replaced bytes", func() bool {
		_, err := n1.swarm.Stat(t.Context(), old.InfoHash)
		return etagOn(t, n1, u, "shared", "local") == over.ETag && errors.Is(err, swarm.ErrNotFound)
	})
	files = len(objectFiles(t, dir1))

	again := putOn(t, n2, u, "shared", "remote", []byte("node 2 again"))
	eventually(t, 10*time.Second, "node 1 sees node 2's overwrite", func() bool {
		return etagOn(t, n1, u, "shared", "remote") == again.ETag
	})
	// A wrong release would follow the merge that made the ETag visible
	// within microseconds; nothing to poll for its absence.
	time.Sleep(200 * time.Millisecond)
	if got := len(objectFiles(t, dir1)); got < files {
		t.Errorf("node 1 object files %d, want at least %d: a remote version's replacement released local bytes", got, files)
	}
	_, r, err := n1.GetObject(t.Context(), u, "shared", "mine")
	if err != nil {
		t.Fatalf("GET mine on node 1: %v", err)
	}
	defer r.Close()
	if data, err := io.ReadAll(r); err != nil || !bytes.Equal(data, twin) || mine.ETag == "" {
		t.Fatalf("node 1's own object with the remote version's bytes: %d bytes, %v", len(data), err)
	}
}
