package e2e

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// cliEnv returns an environment in which the aws CLI and boto3 talk to n
// with n's first user, and nothing from the caller's AWS setup leaks in.
func (n *testNode) cliEnv(t *testing.T) []string {
	t.Helper()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config")
	os.WriteFile(cfg, []byte("[default]\nregion = us-east-1\ns3 =\n    addressing_style = path\n"), 0o600)
	return append(cleanEnv(),
		"AWS_ACCESS_KEY_ID="+n.access, "AWS_SECRET_ACCESS_KEY="+n.secret,
		"AWS_CONFIG_FILE="+cfg, "AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(dir, "none"),
		"AWS_DEFAULT_REGION=us-east-1", "D3S_ENDPOINT="+n.endpoint, "NO_PROXY=*",
	)
}

// cleanEnv is the process environment without AWS_* settings and proxies,
// so nothing from the machine's own AWS setup (such as AWS_CA_BUNDLE)
// reaches the tools under test.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") && !strings.HasPrefix(kv, "HTTP_PROXY") && !strings.HasPrefix(kv, "HTTPS_PROXY") {
			env = append(env, kv)
		}
	}
	return env
}

func (n *testNode) aws(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), "aws", append([]string{"--endpoint-url", n.endpoint}, args...)...)
	cmd.Env = n.cliEnv(t)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func fileSHA256(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// TestAWSCLI runs the aws CLI on the machine against a node: a multipart
// upload of a file over 100 MiB by `aws s3 cp`, download compared by SHA-256,
// listing, presigned GET, sync and removal.
func TestAWSCLI(t *testing.T) {
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("aws CLI not installed: skipping the CLI script test")
	}
	n := startNode(t)
	dir := t.TempDir()
	src := filepath.Join(dir, "big.bin")
	body, sum := randomBytes(t, 105<<20+3)
	if err := os.WriteFile(src, body, 0o600); err != nil {
		t.Fatal(err)
	}
	n.aws(t, "s3", "mb", "s3://cli")
	n.aws(t, "s3", "cp", src, "s3://cli/dir/big.bin")
	dst := filepath.Join(dir, "back.bin")
	n.aws(t, "s3", "cp", "s3://cli/dir/big.bin", dst)
	if got := fileSHA256(t, dst); got != sum {
		t.Fatalf("downloaded SHA-256 %s, want %s", got, sum)
	}
	head := n.aws(t, "s3api", "head-object", "--bucket", "cli", "--key", "dir/big.bin")
	if !strings.Contains(head, `-14\"`) { // 105 MiB in the CLI's 8 MiB parts
		t.Errorf("head-object does not show a 14-part ETag:\n%s", head)
	}
	if ls := n.aws(t, "s3", "ls", "s3://cli/dir/"); !strings.Contains(ls, "big.bin") || !strings.Contains(ls, "110100483") {
		t.Errorf("ls:\n%s", ls)
	}
	url := strings.TrimSpace(n.aws(t, "s3", "presign", "s3://cli/dir/big.bin", "--expires-in", "300"))
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	io.Copy(h, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || hex.EncodeToString(h.Sum(nil)) != sum {
		t.Fatalf("presigned GET: status %d", resp.StatusCode)
	}
	syncDir := filepath.Join(dir, "sync")
	os.MkdirAll(filepath.Join(syncDir, "sub"), 0o755)
	for _, name := range []string{"a.txt", "sub/b.txt", "sub/c d.txt"} {
		os.WriteFile(filepath.Join(syncDir, name), []byte(name), 0o600)
	}
	n.aws(t, "s3", "sync", syncDir, "s3://cli/sync")
	back := filepath.Join(dir, "back")
	n.aws(t, "s3", "sync", "s3://cli/sync", back)
	for _, name := range []string{"a.txt", "sub/b.txt", "sub/c d.txt"} {
		if b, err := os.ReadFile(filepath.Join(back, name)); err != nil || !bytes.Equal(b, []byte(name)) {
			t.Errorf("sync round trip %s: %q %v", name, b, err)
		}
	}
	n.aws(t, "s3", "rm", "--recursive", "s3://cli")
	n.aws(t, "s3", "rb", "s3://cli")
}

// TestBoto3 runs testdata/boto3_check.py against a node.
func TestBoto3(t *testing.T) {
	if err := exec.Command("python3", "-c", "import boto3").Run(); err != nil {
		t.Skip("python3 with boto3 not installed: skipping the boto3 script test")
	}
	n := startNode(t)
	cmd := exec.CommandContext(ctx(t, 3*time.Minute), "python3", "testdata/boto3_check.py")
	cmd.Env = n.cliEnv(t)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("boto3 checks: %v\n%s", err, out)
	}
	t.Logf("%s", out)
}
