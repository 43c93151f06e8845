package catalog

import (
	"testing"

	"github.com/dgraph-io/badger/v4"
)

// openDB opens a synced badger database in dir, closed at cleanup unless
// the test closed it itself.
func openDB(t testing.TB, dir string) *badger.DB {
	t.Helper()
	opts := badger.DefaultOptions(dir).WithLogger(nil).WithSyncWrites(true).
		WithMemTableSize(8 << 20).WithNumMemtables(1).WithBlockCacheSize(1 << 20).
		WithIndexCacheSize(1 << 20).WithValueLogFileSize(16 << 20)
	db, err := badger.Open(opts)
	if err != nil {
		t.Fatalf("open badger: %v", err)
	}
	t.Cleanup(func() {
		if !db.IsClosed() {
			db.Close()
		}
	})
	return db
}

func newCatalog(t testing.TB, db *badger.DB) *Catalog {
	t.Helper()
	c, err := New(Config{DB: db, NodeID: "node-a"})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// openCatalog returns a catalog over a fresh database with bucket "b" for
// user "u".
func openCatalog(t *testing.T) *Catalog {
	t.Helper()
	c := newCatalog(t, openDB(t, t.TempDir()))
	if err := c.CreateBucket(t.Context(), "u", "b"); err != nil {
		t.Fatal(err)
	}
	return c
}

func putKey(t *testing.T, c *Catalog, key string) *Entry {
	t.Helper()
	e := &Entry{Key: key, Size: int64(len(key)), ETag: "etag-" + key}
	e.InfoHash[0] = byte(len(key))
	if _, err := c.Put(t.Context(), "u", "b", e, nil); err != nil {
		t.Fatalf("put %q: %v", key, err)
	}
	return e
}
