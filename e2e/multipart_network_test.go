package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/d3s/d3s/node"
)

// Multipart uploads across nodes, driven by the aws CLI as a client
// behind a load balancer would: every step may land on another node.

// s3api runs `aws s3api` against n and decodes its JSON answer into out
// (when not nil); it fails the test on a non-zero exit.
func (n *testNode) s3api(t *testing.T, out any, args ...string) {
	t.Helper()
	raw := n.aws(t, append([]string{"s3api", "--output", "json"}, args...)...)
	if out != nil {
		if err := json.Unmarshal([]byte(raw), out); err != nil {
			t.Fatalf("aws s3api %s: %v\n%s", strings.Join(args, " "), err, raw)
		}
	}
}

// s3apiErr runs `aws s3api` against n expecting it to fail, and returns
// its output (which names the S3 error code).
func (n *testNode) s3apiErr(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), "aws", append([]string{"--endpoint-url", n.endpoint, "s3api"}, args...)...)
	cmd.Env = n.cliEnv(t)
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("aws s3api %s succeeded, want an error:\n%s", strings.Join(args, " "), out)
	}
	return string(out)
}

type cliPart struct {
	PartNumber int
	ETag       string
	Size       int64
}

// mpuParts writes the parts of a test object: 5 MiB, 5 MiB and a short
// last one; it returns their paths and the SHA-256 of the whole.
func mpuParts(t *testing.T, dir string) ([]string, string) {
	t.Helper()
	var paths []string
	var whole []byte
	for i, size := range []int{5 << 20, 5 << 20, 1<<20 + 7} {
		b, _ := randomBytes(t, size)
		p := filepath.Join(dir, fmt.Sprintf("part%d", i+1))
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
		whole = append(whole, b...)
	}
	return paths, sha256Hex(whole)
}

func createUpload(t *testing.T, n *testNode, bucket, key string) string {
	t.Helper()
	var out struct{ UploadId string }
	n.s3api(t, &out, "create-multipart-upload", "--bucket", bucket, "--key", key)
	if out.UploadId == "" {
		t.Fatal("create-multipart-upload: no upload ID")
	}
	return out.UploadId
}

func uploadPart(t *testing.T, n *testNode, bucket, key, id string, number int, path string) string {
	t.Helper()
	var out struct{ ETag string }
	n.s3api(t, &out, "upload-part", "--bucket", bucket, "--key", key, "--upload-id", id,
		"--part-number", fmt.Sprint(number), "--body", path)
	return out.ETag
}

func listParts(t *testing.T, n *testNode, bucket, key, id string) []cliPart {
	t.Helper()
	var out struct{ Parts []cliPart }
	n.s3api(t, &out, "list-parts", "--bucket", bucket, "--key", key, "--upload-id", id)
	return out.Parts
}

func listUploads(t *testing.T, n *testNode, bucket string) []string {
	t.Helper()
	var out struct {
		Uploads []struct{ Key, UploadId string }
	}
	n.s3api(t, &out, "list-multipart-uploads", "--bucket", bucket)
	var ids []string
	for _, u := range out.Uploads {
		ids = append(ids, u.Key+"/"+u.UploadId)
	}
	return ids
}

func completeUpload(t *testing.T, n *testNode, bucket, key, id string, etags []string) {
	t.Helper()
	var doc struct{ Parts []map[string]any }
	for i, e := range etags {
		doc.Parts = append(doc.Parts, map[string]any{"PartNumber": i + 1, "ETag": e})
	}
	b, _ := json.Marshal(doc)
	p := filepath.Join(t.TempDir(), "parts.json")
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	n.s3api(t, nil, "complete-multipart-upload", "--bucket", bucket, "--key", key,
		"--upload-id", id, "--multipart-upload", "file://"+p)
}

// downloadSum GETs bucket/key from n with the CLI and returns the SHA-256
// of what arrived.
func downloadSum(t *testing.T, n *testNode, bucket, key string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "got")
	n.s3api(t, nil, "get-object", "--bucket", bucket, "--key", key, p)
	return fileSHA256(t, p)
}

// storedOn counts the nodes that keep bytes of id.
func storedOn(t *testing.T, nodes []*testNode, id [20]byte) int {
	t.Helper()
	cnt := 0
	for _, n := range nodes {
		if ok, err := n.Stored(t.Context(), id); err != nil {
			t.Fatal(err)
		} else if ok {
			cnt++
		}
	}
	return cnt
}

func needAWS(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("aws CLI not installed: skipping")
	}
}

// TestMultipartAcrossNodes: on 4 nodes, an upload created on node 1 takes
// parts 1–3 through nodes 2, 3 and 4; node 3 lists all three parts and
// node 4 the upload; node 2 completes it and node 4 serves the object
// with the source's SHA-256. A second upload, created on node 3 with
// parts through nodes 1 and 2, is aborted on node 4: every node then
// answers NoSuchUpload for it and no node keeps any byte of its parts.
func TestMultipartAcrossNodes(t *testing.T) {
	needAWS(t)
	c := startClusterWith(t, 4, func(cfg *node.Config) { cfg.ReplicaGC = time.Second })
	n := c.nodes
	n[0].s3api(t, nil, "create-bucket", "--bucket", "mpu")
	paths, sum := mpuParts(t, t.TempDir())

	step := time.Now()
	lap := func(what string) {
		t.Logf("%s: %v (aws CLI included)", what, time.Since(step).Round(time.Millisecond))
		step = time.Now()
	}
	id := createUpload(t, n[0], "mpu", "big.bin")
	lap("create on node 1")
	etags := make([]string, 3)
	for i := range 3 {
		etags[i] = uploadPart(t, n[i+1], "mpu", "big.bin", id, i+1, paths[i])
		lap(fmt.Sprintf("part %d on node %d", i+1, i+2))
	}
	parts := listParts(t, n[2], "mpu", "big.bin", id)
	lap("list parts on node 3")
	if len(parts) != 3 || parts[0].Size != 5<<20 || parts[2].Size != 1<<20+7 || parts[1].ETag != etags[1] {
		t.Fatalf("node 3 lists parts %+v, want the three uploaded (ETags %q)", parts, etags)
	}
	if got := listUploads(t, n[3], "mpu"); fmt.Sprint(got) != fmt.Sprint([]string{"big.bin/" + id}) {
		t.Fatalf("node 4 lists uploads %q", got)
	}
	lap("list uploads on node 4")
	completeUpload(t, n[1], "mpu", "big.bin", id, etags)
	lap("complete on node 2")
	if got := downloadSum(t, n[3], "mpu", "big.bin"); got != sum {
		t.Fatalf("node 4 serves SHA-256 %s, want %s", got, sum)
	}
	lap("download on node 4")
	if got := listUploads(t, n[0], "mpu"); len(got) != 0 {
		t.Fatalf("node 1 lists uploads %q after the complete", got)
	}

	// New bytes: the completed object still holds the parts above.
	paths, _ = mpuParts(t, t.TempDir())
	abortEverywhere(t, n, paths)
}

// abortEverywhere starts an upload on node 3 with parts through nodes 1
// and 2, checks each part has at least two holders (--sync-replicas),
// aborts it on node 4, and waits until no node keeps a byte of the parts.
func abortEverywhere(t *testing.T, n []*testNode, paths []string) {
	t.Helper()
	id := createUpload(t, n[2], "mpu", "gone.bin")
	uploadPart(t, n[0], "mpu", "gone.bin", id, 1, paths[0])
	uploadPart(t, n[1], "mpu", "gone.bin", id, 2, paths[2])
	if got := listParts(t, n[2], "mpu", "gone.bin", id); len(got) != 2 {
		t.Fatalf("node 3 lists %d parts, want 2", len(got))
	}
	ids, err := n[2].UploadPartIDs(t.Context(), n[2].access, "mpu", "gone.bin", id)
	if err != nil || len(ids) != 2 {
		t.Fatalf("part IDs on node 3: %v, %v", ids, err)
	}
	for i, pid := range ids {
		if h := storedOn(t, n, pid); h < 2 {
			t.Fatalf("part %d is on %d nodes after its upload was acknowledged, want >= 2", i+1, h)
		}
	}
	aborted := time.Now()
	n[3].s3api(t, nil, "abort-multipart-upload", "--bucket", "mpu", "--key", "gone.bin", "--upload-id", id)
	for i, nd := range n {
		out := nd.s3apiErr(t, "list-parts", "--bucket", "mpu", "--key", "gone.bin", "--upload-id", id)
		if !strings.Contains(out, "NoSuchUpload") {
			t.Fatalf("node %d after the abort: %s", i+1, out)
		}
	}
	eventually(t, 90*time.Second, "parts removed from every node", func() error {
		for i, pid := range ids {
			if h := storedOn(t, n, pid); h != 0 {
				return fmt.Errorf("part %d still on %d nodes", i+1, h)
			}
		}
		return nil
	})
	t.Logf("parts gone from every node within %v of the abort request", time.Since(aborted).Round(time.Millisecond))
}
