package admin

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"syscall"
	"time"
)

// maxSocketPath is the longest unix socket path that binds everywhere:
// sun_path holds 108 bytes on Linux and 104 on the BSDs and macOS, with a
// terminating NUL.
const maxSocketPath = 103

// socketPath is where the daemon of dataDir serves the admin API.
func socketPath(dataDir string) string {
	return filepath.Join(dataDir, "admin.sock")
}

// withSocketAddr calls fn with an address that reaches the unix socket at
// path. A path too long for sun_path is reached on Linux through
// /proc/self/fd/N/<name>, N being a descriptor of the socket's directory
// held open for the duration of fn; elsewhere it is ErrSocketPath.
func withSocketAddr(path string, fn func(addr string) error) error {
	if len(path) <= maxSocketPath {
		return fn(path)
	}
	if runtime.GOOS != "linux" {
		return fmt.Errorf("%w: %q is %d bytes, at most %d fit; use a shorter data dir", ErrSocketPath, path, len(path), maxSocketPath)
	}
	dir, err := os.Open(filepath.Dir(path))
	if err != nil {
		return fmt.Errorf("admin socket: %w", err)
	}
	defer dir.Close()
	addr := "/proc/self/fd/" + strconv.Itoa(int(dir.Fd())) + "/" + filepath.Base(path)
	if len(addr) > maxSocketPath {
		return fmt.Errorf("%w: socket name %q", ErrSocketPath, filepath.Base(path))
	}
	return fn(addr)
}

// dial connects to the admin socket of dataDir. When nothing serves it
// the error wraps ErrNoDaemon.
func dial(ctx context.Context, dataDir string) (net.Conn, error) {
	var conn net.Conn
	err := withSocketAddr(socketPath(dataDir), func(addr string) error {
		var d net.Dialer
		var err error
		conn, err = d.DialContext(ctx, "unix", addr)
		return err
	})
	if errors.Is(err, syscall.ENOENT) || errors.Is(err, syscall.ECONNREFUSED) {
		return nil, fmt.Errorf("%w with data dir %s", ErrNoDaemon, dataDir)
	}
	return conn, err
}

// Listen listens on the admin socket of dataDir with mode 0600, for Serve.
// A socket left behind by a daemon that died is removed; a live one is an
// error, as is a file of another kind in its place. Closing the listener
// removes the socket file.
func Listen(dataDir string) (net.Listener, error) {
	path := socketPath(dataDir)
	if err := removeStaleSocket(dataDir, path); err != nil {
		return nil, err
	}
	var ln *net.UnixListener
	err := withSocketAddr(path, func(addr string) error {
		l, err := net.Listen("unix", addr)
		if err == nil {
			ln = l.(*net.UnixListener)
			// Go would unlink addr, which names a closed descriptor
			// by then; listener removes path itself.
			ln.SetUnlinkOnClose(false)
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("admin socket %s: %w", path, err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		os.Remove(path)
		return nil, fmt.Errorf("admin socket %s: %w", path, err)
	}
	return &listener{UnixListener: ln, path: path}, nil
}

// removeStaleSocket clears path for a new listener.
func removeStaleSocket(dataDir, path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("admin socket %s: %w", path, err)
	}
	if fi.Mode().Type() != fs.ModeSocket {
		return fmt.Errorf("admin socket %s: exists and is not a socket", path)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if conn, err := dial(ctx, dataDir); err == nil {
		conn.Close()
		return fmt.Errorf("admin socket %s: another d3sd is serving it", path)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove stale admin socket: %w", err)
	}
	return nil
}

// listener removes its socket file when closed.
type listener struct {
	*net.UnixListener
	path string
}

// Close stops listening and removes the socket file.
func (l *listener) Close() error {
	err := l.UnixListener.Close()
	if rerr := os.Remove(l.path); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) && err == nil {
		err = rerr
	}
	return err
}
