package e2e

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/d3s/d3s/node"
)

// TestMultipartCreatorKilled: node 1, a d3sd process that founded the
// network, starts an upload and is killed with SIGKILL right after it
// answers; parts 1–3 go through nodes 2, 3 and 4, node 3 lists them,
// node 2 completes the upload and node 4 serves the object with the
// source's SHA-256.
func TestMultipartCreatorKilled(t *testing.T) {
	needAWS(t)
	dir := t.TempDir()
	p := startProc(t, dir, freeAddr(t))
	eventually(t, 30*time.Second, "join token written", func() error {
		_, err := os.Stat(filepath.Join(dir, node.JoinTokenFile))
		return err
	})
	c := &cluster{nodes: []*testNode{&p.testNode}, token: readToken(t, dir)}
	for range 3 {
		c.nodes = append(c.nodes, c.join(t, t.TempDir()))
	}
	n := c.nodes
	n[0].s3api(t, nil, "create-bucket", "--bucket", "mpu")
	paths, sum := mpuParts(t, t.TempDir())
	id := createUpload(t, n[0], "mpu", "big.bin")
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	p.cmd.Wait()

	etags := make([]string, 3)
	for i := range 3 {
		etags[i] = uploadPart(t, n[i+1], "mpu", "big.bin", id, i+1, paths[i])
	}
	if parts := listParts(t, n[2], "mpu", "big.bin", id); len(parts) != 3 {
		t.Fatalf("node 3 lists %d parts, want 3: %+v", len(parts), parts)
	}
	completeUpload(t, n[1], "mpu", "big.bin", id, etags)
	if got := downloadSum(t, n[3], "mpu", "big.bin"); got != sum {
		t.Fatalf("node 4 serves SHA-256 %s, want %s", got, sum)
	}
}
