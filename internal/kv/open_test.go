package kv

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/options"
)

// TestOpenReadsCompressedTables checks the upgrade path of Open's
// options: a database whose tables were written Snappy-compressed (the
// options before tables went uncompressed) opens, reads back, and takes
// new writes. badger records each table's compression in its manifest.
func TestOpenReadsCompressedTables(t *testing.T) {
	dir := t.TempDir()
	old := badger.DefaultOptions(dir).WithLogger(nil).WithSyncWrites(true).
		WithCompression(options.Snappy).WithBlockCacheSize(8 << 20).WithMemTableSize(1 << 20).
		WithValueThreshold(1 << 10)
	const n = 5000
	value := func(i int) []byte { return bytes.Repeat([]byte(fmt.Sprintf("value %d;", i)), 1+i%50) }
	db, err := badger.Open(old)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i += 500 {
		err := db.Update(func(txn *badger.Txn) error {
			for j := i; j < i+500; j++ {
				if err := txn.Set(fmt.Appendf(nil, "k/%05d", j), value(j)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Close(); err != nil { // flushes the memtable into a table
		t.Fatal(err)
	}

	db, err = Open(dir, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// The values repeat a short string: Snappy shrinks them severalfold.
	compressed := false
	for _, ti := range db.Tables() {
		compressed = compressed || ti.KeyCount > 0 && uint64(ti.UncompressedSize) > 2*uint64(ti.OnDiskSize)
	}
	if !compressed {
		t.Fatalf("no compressed table among %d written by the old options", len(db.Tables()))
	}
	if err := db.Update(func(txn *badger.Txn) error { return txn.Set([]byte("k/new"), []byte("new")) }); err != nil {
		t.Fatal(err)
	}
	err = db.View(func(txn *badger.Txn) error {
		for i := range n {
			item, err := txn.Get(fmt.Appendf(nil, "k/%05d", i))
			if err != nil {
				return fmt.Errorf("key %d: %w", i, err)
			}
			got, err := item.ValueCopy(nil)
			if err != nil {
				return fmt.Errorf("key %d: %w", i, err)
			}
			if !bytes.Equal(got, value(i)) {
				return fmt.Errorf("key %d: value %q, want %q", i, got, value(i))
			}
		}
		_, err := txn.Get([]byte("k/new"))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
