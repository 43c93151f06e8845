package swarm

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/dgraph-io/badger/v4"
)

// TestSweepOrphans fakes the two crashes that leave an object file without
// a record (Release committed but did not remove the file; a file placed
// but its record never committed) and checks that reopening removes those
// files and keeps every recorded object readable.
func TestSweepOrphans(t *testing.T) {
	dir := t.TempDir()
	ts := openSwarm(t, dir, 0)
	keep := randBytes(1, 100<<10)
	gone := randBytes(2, 100<<10)
	kept, err := ts.Put(t.Context(), bytes.NewReader(keep), int64(len(keep)), Expect{})
	if err != nil {
		t.Fatal(err)
	}
	released, err := ts.Put(t.Context(), bytes.NewReader(gone), int64(len(gone)), Expect{})
	if err != nil {
		t.Fatal(err)
	}
	// Crash 1: the record of `released` is deleted, its file stays.
	err = ts.db.Update(func(txn *badger.Txn) error {
		return txn.Delete(key(prefixObject, released.ID))
	})
	if err != nil {
		t.Fatal(err)
	}
	// Crash 2: a file for an ID that was never committed.
	var never ID
	never[0], never[19] = 0xab, 0xcd
	planted := ts.data.objPath(never)
	os.MkdirAll(filepath.Dir(planted), 0o755)
	if err := os.WriteFile(planted, gone, 0o644); err != nil {
		t.Fatal(err)
	}
	// A file that is not an object file is left alone.
	foreign := filepath.Join(dir, "data", "obj", "README")
	os.WriteFile(foreign, []byte("not ours"), 0o644)
	ts.close(t)

	ts = openSwarm(t, dir, 0)
	ts.wg.Wait() // the sweep New started
	for _, p := range []string{ts.data.objPath(released.ID), planted} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("orphan %s survived the sweep (%v)", p, err)
		}
	}
	if _, err := os.Stat(foreign); err != nil {
		t.Errorf("sweep removed a file that is not an object: %v", err)
	}
	r, err := ts.Open(t.Context(), kept.ID)
	if err != nil {
		t.Fatalf("recorded object after sweep: %v", err)
	}
	defer r.Close()
	if got, _ := io.ReadAll(r); !bytes.Equal(got, keep) {
		t.Fatal("recorded object changed after sweep")
	}
}
