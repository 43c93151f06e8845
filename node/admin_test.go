package node

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/d3s/d3s/dht/record"
)

// startAdmin serves the admin API of u over a real socket in dataDir and
// stops it at cleanup, checking that serveAdmin returns.
func startAdmin(t *testing.T, u *userDB, dataDir string) {
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
	if _, err := AdminAddUser(ctx, dir, "alice"); !errors.Is(err, ErrUserExists) {
		t.Errorf("AdminAddUser(duplicate) = %v, want ErrUserExists", err)
	}
	if _, err := AdminAddUser(ctx, dir, "no spaces"); !errors.Is(err, record.ErrInvalidUserName) {
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
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	u, err := openUsersIn(openUsersBadger(t, t.TempDir()), dir, log)
	if err != nil {
		t.Fatal(err)
	}
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
