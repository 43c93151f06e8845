package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/d3s/d3s/node"
	"github.com/d3s/d3s/node/admin"
)

// syncBuffer is a bytes.Buffer safe to write from run's goroutine while
// the test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startRun runs the daemon in dataDir on a free port until the returned
// stop is called; stop returns run's error.
func startRun(t *testing.T, dataDir string) (out *syncBuffer, stop func() error) {
	t.Helper()
	return startRunCfg(t, testConfig(dataDir))
}

// testConfig is a daemon config on loopback with free ports.
func testConfig(dataDir string) node.Config {
	cfg := node.DefaultConfig()
	cfg.DataDir, cfg.S3Addr, cfg.P2PAddr = dataDir, "127.0.0.1:0", "127.0.0.1:0"
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	return cfg
}

// startRunCfg runs the daemon with cfg until the returned stop is called.
func startRunCfg(t *testing.T, cfg node.Config) (out *syncBuffer, stop func() error) {
	t.Helper()
	dataDir := cfg.DataDir
	ctx, cancel := context.WithCancel(t.Context())
	out = &syncBuffer{}
	done := make(chan error, 1)
	go func() { done <- run(ctx, cfg, out) }()
	waitFor(t, "the admin socket to answer", done, func() bool {
		_, err := admin.ListUsers(t.Context(), dataDir)
		return err == nil
	})
	var once sync.Once
	var runErr error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case runErr = <-done:
			case <-time.After(20 * time.Second):
				t.Fatal("run did not return within 20s of cancel")
			}
		})
		return runErr
	}
	t.Cleanup(func() { stop() })
	return out, stop
}

// waitFor polls cond until it holds, failing after a deadline or when run
// exits early.
func waitFor(t *testing.T, what string, done <-chan error, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		select {
		case err := <-done:
			t.Fatalf("run exited while waiting for %s: %v", what, err)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

var credentialsRE = regexp.MustCompile(`^\[default\]\naws_access_key_id = ([A-Z2-7]{20})\naws_secret_access_key = ([A-Za-z0-9+/]{40})\n$`)

func TestRunFirstStartUsersAndShutdown(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	out, stop := startRun(t, dir)

	credPath := filepath.Join(dir, "credentials")
	content, err := os.ReadFile(credPath)
	if err != nil {
		t.Fatalf("credentials file after first start: %v", err)
	}
	m := credentialsRE.FindStringSubmatch(string(content))
	if m == nil {
		t.Fatalf("credentials file is not in AWS shared-credentials format:\n%s", content)
	}
	if fi, _ := os.Stat(credPath); fi.Mode().Perm() != 0o600 {
		t.Errorf("credentials file mode %v, want 0600", fi.Mode().Perm())
	}
	printed := out.String()
	for _, want := range []string{
		"export AWS_ACCESS_KEY_ID=" + m[1] + "\n",
		"export AWS_SECRET_ACCESS_KEY=" + m[2] + "\n",
		"aws --endpoint-url http://127.0.0.1:",
		"s3 mb s3://mybucket",
	} {
		if !strings.Contains(printed, want) {
			t.Errorf("first start output lacks %q:\n%s", want, printed)
		}
	}

	addOut := runCLI(t, "user", "add", "bob", "--data", dir)
	if !regexp.MustCompile(`^export AWS_ACCESS_KEY_ID=[A-Z2-7]{20}\nexport AWS_SECRET_ACCESS_KEY=[A-Za-z0-9+/]{40}\n$`).MatchString(addOut) {
		t.Errorf("user add printed %q", addOut)
	}
	listOut := runCLI(t, "--data", dir, "user", "list")
	lines := strings.Split(strings.TrimSpace(listOut), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "NAME") ||
		!strings.HasPrefix(lines[1], "admin ") || !strings.Contains(lines[1], m[1]) || !strings.HasPrefix(lines[2], "bob ") {
		t.Errorf("user list printed:\n%s", listOut)
	}

	if err := stop(); err != nil {
		t.Fatalf("run after cancel: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "admin.sock")); !os.IsNotExist(err) {
		t.Errorf("admin socket after shutdown: %v, want removed", err)
	}

	// A second start on the same data dir: no new user, no keys printed,
	// the credentials file untouched; bob is still there.
	out2, stop2 := startRun(t, dir)
	if again, _ := os.ReadFile(credPath); !bytes.Equal(again, content) {
		t.Errorf("credentials file changed on restart:\n%s", again)
	}
	if strings.Contains(out2.String(), "AWS_SECRET_ACCESS_KEY") {
		t.Errorf("restart printed keys again:\n%s", out2)
	}
	if !strings.Contains(runCLI(t, "user", "list", "--data", dir), "bob") {
		t.Error("user bob lost across restart")
	}
	if err := stop2(); err != nil {
		t.Fatalf("second run: %v", err)
	}
}

// runCLI runs a d3sd subcommand in process and returns its stdout.
func runCLI(t *testing.T, args ...string) string {
	t.Helper()
	var out bytes.Buffer
	if err := dispatch(t.Context(), args, func(string) string { return "" }, &out, io.Discard); err != nil {
		t.Fatalf("d3sd %s: %v", strings.Join(args, " "), err)
	}
	return out.String()
}

func TestRunFailsCleanlyOnBusyPort(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	cfg := node.DefaultConfig()
	cfg.DataDir, cfg.S3Addr = t.TempDir(), ln.Addr().String()
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	// A first start that cannot listen must fail, not hang, and still keep
	// the new admin user's keys in the credentials file.
	if err := run(t.Context(), cfg, io.Discard); err == nil {
		t.Fatal("run on a busy port succeeded")
	}
	content, err := os.ReadFile(filepath.Join(cfg.DataDir, "credentials"))
	if err != nil || !credentialsRE.Match(content) {
		t.Errorf("credentials of the failed first start: %q, %v", content, err)
	}
}
