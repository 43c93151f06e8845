package e2e

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// run runs a command in env and fails the test with its output on error.
func run(t *testing.T, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), name, args...)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// writeTree writes a small tree of files of assorted sizes under dir.
func writeTree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	for i, size := range []int{0, 1, 4096, 100_000, 7 << 20} {
		b, _ := randomBytes(t, size)
		name := fmt.Sprintf("d%d/f %d.bin", i%2, i)
		files[name] = b
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return files
}

func compareTree(t *testing.T, dir string, files map[string][]byte) {
	t.Helper()
	for name, want := range files {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: %d bytes, want %d (%v)", name, len(got), len(want), err)
		}
	}
}

// TestRclone copies a tree with rclone (multipart for the large file),
// verifies it with `rclone check` (MD5 against ETags), copies it back and
// purges it.
func TestRclone(t *testing.T) {
	if _, err := exec.LookPath("rclone"); err != nil {
		t.Skip("rclone not installed (apt-get install rclone): skipping")
	}
	n := startNode(t)
	env := append(cleanEnv(),
		"RCLONE_CONFIG=/dev/null",
		"RCLONE_CONFIG_D3S_TYPE=s3", "RCLONE_CONFIG_D3S_PROVIDER=Other",
		"RCLONE_CONFIG_D3S_ACCESS_KEY_ID="+n.access, "RCLONE_CONFIG_D3S_SECRET_ACCESS_KEY="+n.secret,
		"RCLONE_CONFIG_D3S_ENDPOINT="+n.endpoint, "RCLONE_CONFIG_D3S_REGION=us-east-1",
		"RCLONE_S3_UPLOAD_CUTOFF=5M", "RCLONE_S3_CHUNK_SIZE=5M")
	src, back := t.TempDir(), t.TempDir()
	files := writeTree(t, src)
	run(t, env, "rclone", "mkdir", "d3s:rcl")
	run(t, env, "rclone", "copy", src, "d3s:rcl/tree")
	run(t, env, "rclone", "check", src, "d3s:rcl/tree") // fails on any size or MD5 difference
	run(t, env, "rclone", "copy", "d3s:rcl/tree", back)
	compareTree(t, back, files)
	if ls := run(t, env, "rclone", "lsf", "-R", "d3s:rcl"); strings.Count(ls, ".bin") != len(files) {
		t.Errorf("rclone lsf:\n%s", ls)
	}
	run(t, env, "rclone", "purge", "d3s:rcl")
	if r := n.do(t, "HEAD", "/rcl", nil); r.status != 404 {
		t.Errorf("bucket still there after purge: %d", r.status)
	}
}

// TestRestic backs a tree up into a restic repository on the node, checks
// the repository reading all data, and restores it.
func TestRestic(t *testing.T) {
	if _, err := exec.LookPath("restic"); err != nil {
		t.Skip("restic not installed (apt-get install restic): skipping")
	}
	n := startNode(t)
	env := append(cleanEnv(),
		"RESTIC_REPOSITORY=s3:"+n.endpoint+"/restic", "RESTIC_PASSWORD=test-password",
		"AWS_ACCESS_KEY_ID="+n.access, "AWS_SECRET_ACCESS_KEY="+n.secret,
		"RESTIC_CACHE_DIR="+t.TempDir())
	src, back := t.TempDir(), t.TempDir()
	files := writeTree(t, src)
	run(t, env, "restic", "init")
	run(t, env, "restic", "backup", "--host", "e2e", src)
	run(t, env, "restic", "check", "--read-data")
	run(t, env, "restic", "restore", "latest", "--target", back)
	compareTree(t, filepath.Join(back, src), files)
}
