package store

import (
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// openDB opens a synced badger database in dir, closed at cleanup.
func openDB(t testing.TB, dir string) *badger.DB {
	t.Helper()
	opts := badger.DefaultOptions(dir).WithLogger(nil).WithSyncWrites(true).
		WithMemTableSize(8 << 20).WithNumMemtables(1).WithBlockCacheSize(1 << 20).
		WithIndexCacheSize(1 << 20).WithValueLogFileSize(16 << 20)
	db, err := badger.Open(opts)
	if err != nil {
		t.Fatalf("open badger: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// newStore returns a store of node "node-a" over a fresh database.
func newStore(t *testing.T, now func() time.Time) *Store {
	t.Helper()
	return New(Config{DB: openDB(t, t.TempDir()), NodeID: "node-a", Logger: slog.New(slog.DiscardHandler), Now: now})
}

// openStore returns a store on the real clock with bucket "b" for user
// "u".
func openStore(t *testing.T) *Store {
	t.Helper()
	s := newStore(t, time.Now)
	if err := s.CreateBucket(t.Context(), "u", "b"); err != nil {
		t.Fatal(err)
	}
	return s
}

// skewClock is a physical clock that a test moves forward.
type skewClock struct{ skew atomic.Int64 }

func (c *skewClock) now() time.Time          { return time.Now().Add(time.Duration(c.skew.Load())) }
func (c *skewClock) advance(d time.Duration) { c.skew.Add(int64(d)) }

func putKey(t *testing.T, s *Store, key string) *Entry {
	t.Helper()
	e := &Entry{Key: key, Size: int64(len(key)), ETag: "etag-" + key}
	e.InfoHash[0] = byte(len(key))
	if _, err := s.Put(t.Context(), "u", "b", e, nil); err != nil {
		t.Fatalf("put %q: %v", key, err)
	}
	return e
}

// listKeys returns the keys a ListObjects would show.
func listKeys(t testing.TB, s *Store, user, bucket string) []string {
	t.Helper()
	it, err := s.Objects(t.Context(), user, bucket, "")
	if err != nil {
		t.Fatalf("list %s: %v", bucket, err)
	}
	defer it.Close()
	var keys []string
	for it.Next() {
		keys = append(keys, it.Entry().Key)
	}
	if err := it.Err(); err != nil {
		t.Fatal(err)
	}
	return keys
}

// countIndex returns how many entries, delete markers included, the index
// holds for bucket.
func countIndex(t testing.TB, s *Store, user, bucket string) int {
	t.Helper()
	n := 0
	if err := s.ScanEntries(Key{user, bucket}, func(*Entry) { n++ }); err != nil {
		t.Fatal(err)
	}
	return n
}
