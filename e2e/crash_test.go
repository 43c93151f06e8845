package e2e

import (
	"bytes"
	"io"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// slowBody sends n bytes slowly and signals when half of them are out.
type slowBody struct {
	left, half int
	halfway    chan struct{}
}

func (s *slowBody) Read(p []byte) (int, error) {
	if s.left == 0 {
		return 0, io.EOF
	}
	if s.left <= s.half && s.halfway != nil {
		close(s.halfway)
		s.halfway = nil
		time.Sleep(time.Hour) // the process is killed meanwhile
	}
	n := min(len(p), s.left, 64<<10)
	clear(p[:n])
	s.left -= n
	return n, nil
}

// TestCrashMidPut kills d3sd with SIGKILL while a PUT is half sent, restarts
// it on the same data dir, and checks that the store opens cleanly, the
// partial object is not visible, and acknowledged objects are intact.
func TestCrashMidPut(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the d3sd binary")
	}
	dir, addr := t.TempDir(), freeAddr(t)
	p := startProc(t, dir, addr)
	if r := p.do(t, "PUT", "/crash", nil); r.status != 200 {
		t.Fatalf("create bucket: %d %s", r.status, r.body)
	}
	acked, _ := randomBytes(t, 3<<20)
	if r := p.do(t, "PUT", "/crash/acked", acked); r.status != 200 {
		t.Fatalf("put: %d %s", r.status, r.body)
	}
	body := &slowBody{left: 32 << 20, half: 16 << 20, halfway: make(chan struct{})}
	halfway := body.halfway
	go p.send(t, "PUT", "/crash/partial", nil, withPayloadHash("UNSIGNED-PAYLOAD"), withStream(body, 32<<20))
	select {
	case <-halfway:
	case <-time.After(30 * time.Second):
		t.Fatal("upload did not reach halfway")
	}
	p.kill()
	p2 := startProc(t, dir, addr)
	if r := p2.do(t, "GET", "/crash/acked", nil); r.status != 200 || !bytes.Equal(r.body, acked) {
		t.Fatalf("acknowledged object after crash: %d, %d bytes", r.status, len(r.body))
	}
	if r := p2.do(t, "HEAD", "/crash/partial", nil); r.status != 404 {
		t.Fatalf("partial object visible after crash: HEAD %d", r.status)
	}
	r := p2.do(t, "GET", "/crash?list-type=2", nil)
	if bytes.Contains(r.body, []byte("partial")) {
		t.Fatalf("partial object listed after crash: %s", r.body)
	}
	if leftovers := countTemp(t, dir); leftovers != 0 {
		t.Errorf("%d temporary files left after restart", leftovers)
	}
}

// countTemp counts the swarm's temporary files under dir.
func countTemp(t *testing.T, dir string) int {
	t.Helper()
	n := 0
	filepath.WalkDir(filepath.Join(dir, "objects"), func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.Contains(d.Name(), "tmp") {
			n++
		}
		return nil
	})
	return n
}
