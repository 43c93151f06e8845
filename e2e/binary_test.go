package e2e

import (
	"bufio"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// d3sdBinary builds cmd/d3sd once per test binary.
func d3sdBinary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "d3sd-bin")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "d3sd")
		cmd := exec.Command("go", "build", "-o", binPath, "../cmd/d3sd")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = err
			t.Logf("%s", out)
		}
	})
	if buildErr != nil {
		t.Fatalf("build d3sd: %v", buildErr)
	}
	return binPath
}

// procNode is a d3sd running as its own process.
type procNode struct {
	testNode
	cmd *exec.Cmd
}

// freeAddr returns a loopback address that was free a moment ago.
func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startProc runs the d3sd binary on dir and waits until S3 answers.
func startProc(t *testing.T, dir, addr string) *procNode {
	t.Helper()
	p := launchProc(t, dir, addr)
	p.access, p.secret = readCredentials(t, filepath.Join(dir, "credentials"))
	return p
}

// launchProc runs the d3sd binary on dir with extra flags and waits until
// S3 answers; it reads no credentials (a joining node has none).
func launchProc(t *testing.T, dir, addr string, extra ...string) *procNode {
	t.Helper()
	args := append([]string{"--data", dir, "--s3", addr, "--log-level", "warn"}, extra...)
	cmd := exec.Command(d3sdBinary(t), args...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &procNode{testNode: testNode{dir: dir, endpoint: "http://" + addr}, cmd: cmd}
	t.Cleanup(func() { p.kill() })
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("d3sd did not listen on %s within 30 s", addr)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return p
}

func (p *procNode) kill() {
	if p.cmd.ProcessState == nil {
		p.cmd.Process.Kill()
		p.cmd.Wait()
	}
}

// readCredentials parses the [default] profile of an AWS credentials file.
func readCredentials(t *testing.T, path string) (access, secret string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("credentials file: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), "=")
		if !ok {
			continue
		}
		switch strings.TrimSpace(k) {
		case "aws_access_key_id":
			access = strings.TrimSpace(v)
		case "aws_secret_access_key":
			secret = strings.TrimSpace(v)
		}
	}
	if access == "" || secret == "" {
		t.Fatalf("credentials file %s has no default profile keys", path)
	}
	return access, secret
}
