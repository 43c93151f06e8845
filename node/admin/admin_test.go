package admin

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

	"github.com/d3s/d3s/dht/record"
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
	var key record.NetworkKey
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
// stops it at cleanup, checking that Serve returns.
func startAdmin(t *testing.T, u *users.DB, dataDir string) {
	t.Helper()
	ln, err := Listen(dataDir)
	if err != nil {
		t.Fatalf("Listen: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		Serve(ctx, ln, Backend{Users: u}, slog.New(slog.NewTextHandler(io.Discard, nil)))
		close(done)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("Serve did not return after cancel")
		}
	})
}

func TestAdminRoundTrip(t *testing.T) {
	u, dir := newTestUsers(t)
	startAdmin(t, u, dir)
	ctx := t.Context()

	fi, err := os.Stat(socketPath(dir))
	if err != nil || fi.Mode().Perm() != 0o600 || fi.Mode().Type() != os.ModeSocket {
		t.Errorf("admin socket: %v, mode %v; want a socket with mode 0600", err, fi.Mode())
	}
	creds, err := AddUser(ctx, dir, "alice")
	if err != nil {
		t.Fatalf("AddUser: %v", err)
	}
	_, secret, err := u.LookupUser(ctx, creds.AccessKeyID)
	if err != nil || secret != creds.SecretAccessKey || creds.Name != "alice" {
		t.Errorf("added user %+v looks up as %q, %v", creds, secret, err)
	}
	if _, err := AddUser(ctx, dir, "alice"); !errors.Is(err, users.ErrUserExists) {
		t.Errorf("AddUser(duplicate) = %v, want ErrUserExists", err)
	}
	if _, err := AddUser(ctx, dir, "no spaces"); !errors.Is(err, record.ErrInvalidUserName) {
		t.Errorf("AddUser(bad name) = %v, want ErrInvalidUserName", err)
	}
	list, err := ListUsers(ctx, dir)
	if err != nil {
		t.Fatalf("ListUsers: %v", err)
	}
	if len(list) != 1 || list[0].Name != "alice" || list[0].AccessKeyID != creds.AccessKeyID || list[0].Created.IsZero() {
		t.Errorf("ListUsers = %+v", list)
	}
}

func TestAdminEmptyList(t *testing.T) {
	u, dir := newTestUsers(t)
	startAdmin(t, u, dir)
	list, err := ListUsers(t.Context(), dir)
	if err != nil || len(list) != 0 {
		t.Errorf("ListUsers on an empty db = %+v, %v", list, err)
	}
}

func TestAdminNoDaemon(t *testing.T) {
	dir := t.TempDir()
	_, err := ListUsers(t.Context(), dir)
	if !errors.Is(err, ErrNoDaemon) || !strings.Contains(err.Error(), dir) {
		t.Errorf("ListUsers without daemon = %v, want ErrNoDaemon naming %s", err, dir)
	}
	// A socket left behind by a dead daemon: still "no daemon", and a new
	// daemon replaces it.
	ln, err := net.Listen("unix", socketPath(dir))
	if err != nil {
		t.Fatal(err)
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	ln.Close()
	if _, err := AddUser(t.Context(), dir, "x"); !errors.Is(err, ErrNoDaemon) {
		t.Errorf("AddUser with a stale socket = %v, want ErrNoDaemon", err)
	}
	ln2, err := Listen(dir)
	if err != nil {
		t.Fatalf("Listen over a stale socket: %v", err)
	}
	ln2.Close()
	if _, err := os.Stat(socketPath(dir)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("socket file after Close: %v, want it removed", err)
	}
}

func TestAdminRefusesLiveSocketAndNonSocket(t *testing.T) {
	u, dir := newTestUsers(t)
	startAdmin(t, u, dir)
	if ln, err := Listen(dir); err == nil {
		ln.Close()
		t.Error("Listen succeeded while another server listens")
	}
	other := t.TempDir()
	if err := os.WriteFile(socketPath(other), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if ln, err := Listen(other); err == nil {
		ln.Close()
		t.Error("Listen replaced a regular file")
	}
}

func TestAdminLongDataDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), strings.Repeat("long-directory-name-", 8))
	if len(socketPath(dir)) <= maxSocketPath {
		t.Fatalf("test path %d bytes is not over the limit", len(socketPath(dir)))
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	u := openTestUsers(t)
	ln, err := Listen(dir)
	if err != nil {
		if errors.Is(err, ErrSocketPath) {
			t.Skipf("long socket paths unsupported here: %v", err)
		}
		t.Fatalf("Listen: %v", err)
	}
	ln.Close()
	startAdmin(t, u, dir)
	if _, err := AddUser(t.Context(), dir, "longpath"); err != nil {
		t.Fatalf("AddUser over a %d-byte socket path: %v", len(socketPath(dir)), err)
	}
	if list, err := ListUsers(t.Context(), dir); err != nil || len(list) != 1 {
		t.Errorf("ListUsers = %+v, %v", list, err)
	}
}

func TestAdminRemoveRotate(t *testing.T) {
	u, dir := newTestUsers(t)
	startAdmin(t, u, dir)
	ctx := t.Context()
	creds, err := AddUser(ctx, dir, "bob")
	if err != nil {
		t.Fatal(err)
	}
	rotated, err := RotateUser(ctx, dir, "bob")
	if err != nil || rotated.AccessKeyID != creds.AccessKeyID || rotated.SecretAccessKey == creds.SecretAccessKey {
		t.Fatalf("RotateUser = %+v, %v", rotated, err)
	}
	if _, secret, err := u.LookupUser(ctx, creds.AccessKeyID); err != nil || secret != rotated.SecretAccessKey {
		t.Errorf("after RotateUser the daemon serves %v", err)
	}
	info, err := RemoveUser(ctx, dir, "bob")
	if err != nil || info.AccessKeyID != creds.AccessKeyID || info.Status != users.StatusRemoved {
		t.Fatalf("RemoveUser = %+v, %v", info, err)
	}
	tests := []struct {
		name string
		op   func(context.Context, string, string) error
		arg  string
		want error
	}{
		{"remove twice", removeOp, "bob", users.ErrUserRemoved},
		{"rotate removed", rotateOp, "bob", users.ErrUserRemoved},
		{"remove unknown", removeOp, "nobody", users.ErrUnknownUser},
		{"rotate unknown", rotateOp, "nobody", users.ErrUnknownUser},
		{"remove missing name", removeOp, "", record.ErrInvalidUserName},
		{"rotate bad name", rotateOp, "a/b", record.ErrInvalidUserName},
	}
	for _, tt := range tests {
		err := tt.op(ctx, dir, tt.arg)
		if !errors.Is(err, tt.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: %v, want one line wrapping %v", tt.name, err, tt.want)
		}
	}
	list, err := ListUsers(ctx, dir)
	if err != nil || len(list) != 1 || list[0].Status != users.StatusRemoved {
		t.Errorf("ListUsers after remove = %+v, %v", list, err)
	}
}

func removeOp(ctx context.Context, dir, name string) error {
	_, err := RemoveUser(ctx, dir, name)
	return err
}

func rotateOp(ctx context.Context, dir, name string) error {
	_, err := RotateUser(ctx, dir, name)
	return err
}
