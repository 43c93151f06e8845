package node

import (
	"context"
	"crypto/rand"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/d3s/d3s/dht"
	"github.com/d3s/d3s/internal/kv"
	"github.com/d3s/d3s/node/users"
)

// openTestUsers opens a user database in a fresh badger, closed at
// cleanup.
func openTestUsers(t *testing.T) *users.DB {
	t.Helper()
	db, err := kv.Open(filepath.Join(t.TempDir(), "db"), nil, false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	var key dht.NetworkKey
	rand.Read(key[:])
	return users.Open(db, key, slog.New(slog.NewTextHandler(io.Discard, nil)))
}

// newTestUsers opens a user database and returns it with a fresh data dir
// for its admin socket.
func newTestUsers(t *testing.T) (*users.DB, string) {
	t.Helper()
	return openTestUsers(t), t.TempDir()
}

// startAdmin serves the admin API of u over a real socket in dataDir and
// stops it at cleanup, checking that serveAdmin returns.
func startAdmin(t *testing.T, u *users.DB, dataDir string) {
	t.Helper()
	ln, err := listenAdmin(dataDir)
	if err != nil {
		t.Fatalf("listenAdmin: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		serveAdmin(ctx, ln, adminBackend{users: u}, slog.New(slog.NewTextHandler(io.Discard, nil)))
		close(done)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("serveAdmin did not return after cancel")
		}
	})
}

func TestAdminRoundTrip(t *testing.T) {
	u, dir := newTestUsers(t)
	startAdmin(t, u, dir)
	ctx := t.Context()

	fi, err := os.Stat(adminSocketPath(dir))
	if err != nil || fi.Mode().Perm() != 0o600 || fi.Mode().Type() != os.ModeSocket {
		t.Errorf("admin socket: %v, mode %v; want a socket with mode 0600", err, fi.Mode())
	}
	creds, err := AdminAddUser(ctx, dir, "alice")
	if err != nil {
		t.Fatalf("AdminAddUser: %v", err)
	}
	_, secret, err := u.LookupUser(ctx, creds.AccessKeyID)
	if err != nil || secret != creds.SecretAccessKey || creds.Name != "alice" {
		t.Errorf("added user %+v looks up as %q, %v", creds, secret, err)
	}
	if _, err := AdminAddUser(ctx, dir, "alice"); !errors.Is(err, users.ErrUserExists) {
		t.Errorf("AdminAddUser(duplicate) = %v, want ErrUserExists", err)
	}
	if _, err := AdminAddUser(ctx, dir, "no spaces"); !errors.Is(err, dht.ErrInvalidUserName) {
		t.Errorf("AdminAddUser(bad name) = %v, want ErrInvalidUserName", err)
	}
	users, err := AdminListUsers(ctx, dir)
	if err != nil {
		t.Fatalf("AdminListUsers: %v", err)
	}
	if len(users) != 1 || users[0].Name != "alice" || users[0].AccessKeyID != creds.AccessKeyID || users[0].Created.IsZero() {
		t.Errorf("AdminListUsers = %+v", users)
	}
}

func TestAdminEmptyList(t *testing.T) {
	u, dir := newTestUsers(t)
	startAdmin(t, u, dir)
	users, err := AdminListUsers(t.Context(), dir)
	if err != nil || len(users) != 0 {
		t.Errorf("AdminListUsers on an empty db = %+v, %v", users, err)
	}
}

func TestAdminNoDaemon(t *testing.T) {
	dir := t.TempDir()
	_, err := AdminListUsers(t.Context(), dir)
	if !errors.Is(err, ErrNoDaemon) || !strings.Contains(err.Error(), dir) {
		t.Errorf("AdminListUsers without daemon = %v, want ErrNoDaemon naming %s", err, dir)
	}
	// A socket left behind by a dead daemon: still "no daemon", and a new
	// daemon replaces it.
	ln, err := net.Listen("unix", adminSocketPath(dir))
	if err != nil {
		t.Fatal(err)
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	ln.Close()
	if _, err := AdminAddUser(t.Context(), dir, "x"); !errors.Is(err, ErrNoDaemon) {
		t.Errorf("AdminAddUser with a stale socket = %v, want ErrNoDaemon", err)
	}
	ln2, err := listenAdmin(dir)
	if err != nil {
		t.Fatalf("listenAdmin over a stale socket: %v", err)
	}
	ln2.Close()
	if _, err := os.Stat(adminSocketPath(dir)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("socket file after Close: %v, want it removed", err)
	}
}

func TestAdminRefusesLiveSocketAndNonSocket(t *testing.T) {
	u, dir := newTestUsers(t)
	startAdmin(t, u, dir)
	if ln, err := listenAdmin(dir); err == nil {
		ln.Close()
		t.Error("listenAdmin succeeded while another server listens")
	}
	other := t.TempDir()
	if err := os.WriteFile(adminSocketPath(other), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if ln, err := listenAdmin(other); err == nil {
		ln.Close()
		t.Error("listenAdmin replaced a regular file")
	}
}

func TestAdminLongDataDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), strings.Repeat("long-directory-name-", 8))
	if len(adminSocketPath(dir)) <= maxSocketPath {
		t.Fatalf("test path %d bytes is not over the limit", len(adminSocketPath(dir)))
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	u := openTestUsers(t)
	ln, err := listenAdmin(dir)
	if err != nil {
		if errors.Is(err, ErrAdminSocketPath) {
			t.Skipf("long socket paths unsupported here: %v", err)
		}
		t.Fatalf("listenAdmin: %v", err)
	}
	ln.Close()
	startAdmin(t, u, dir)
	if _, err := AdminAddUser(t.Context(), dir, "longpath"); err != nil {
		t.Fatalf("AdminAddUser over a %d-byte socket path: %v", len(adminSocketPath(dir)), err)
	}
	if users, err := AdminListUsers(t.Context(), dir); err != nil || len(users) != 1 {
		t.Errorf("AdminListUsers = %+v, %v", users, err)
	}
}
