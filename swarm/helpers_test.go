package swarm

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/dgraph-io/badger/v4"
)

// testSwarm is a swarm with its own database in a temp directory.
type testSwarm struct {
	*Swarm
	dir string
	db  *badger.DB
}

// openSwarm opens (or reopens) the swarm and database kept in dir.
func openSwarm(t testing.TB, dir string, inlineMax int64) *testSwarm {
	t.Helper()
	db, err := badger.Open(BadgerOptions(filepath.Join(dir, "db")))
	if err != nil {
		t.Fatalf("open badger: %v", err)
	}
	s, err := New(Config{Dir: filepath.Join(dir, "data"), DB: db, InlineMax: inlineMax})
	if err != nil {
		db.Close()
		t.Fatalf("New: %v", err)
	}
	ts := &testSwarm{Swarm: s, dir: dir, db: db}
	t.Cleanup(func() { ts.close(t) })
	return ts
}

func newSwarm(t testing.TB) *testSwarm {
	t.Helper()
	return openSwarm(t, t.TempDir(), 0)
}

func (ts *testSwarm) close(t testing.TB) {
	t.Helper()
	if ts.Swarm == nil {
		return
	}
	if err := ts.Swarm.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := ts.db.Close(); err != nil {
		t.Errorf("close badger: %v", err)
	}
	ts.Swarm = nil
}

// dataFiles lists the regular files under the swarm's data directory.
func (ts *testSwarm) dataFiles(t testing.TB) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(filepath.Join(ts.dir, "data"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		t.Fatalf("walk: %v", err)
	}
	return files
}

func randBytes(seed uint64, n int) []byte {
	b := make([]byte, n)
	var key [32]byte
	binary.LittleEndian.PutUint64(key[:], seed)
	rand.NewChaCha8(key).Read(b)
	return b
}

func mustPut(t testing.TB, s *testSwarm, b []byte) Object {
	t.Helper()
	obj, err := s.Put(context.Background(), bytes.NewReader(b), int64(len(b)), Expect{})
	if err != nil {
		t.Fatalf("Put %d bytes: %v", len(b), err)
	}
	return obj
}

func readAll(t testing.TB, s *testSwarm, id ID) []byte {
	t.Helper()
	r, err := s.Open(context.Background(), id)
	if err != nil {
		t.Fatalf("Open %s: %v", id, err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("read %s: %v", id, err)
	}
	return b
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
