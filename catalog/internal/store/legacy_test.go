package store

import (
	"encoding/binary"
	"testing"

	"github.com/dgraph-io/badger/v4"

	"github.com/d3s/d3s/catalog/internal/entry"
)

// TestMigrateLegacyUploads: an upload kept in the node-local records of
// earlier versions becomes an upload entry with its parts, queued for
// publication, under the same ID; the old records are gone.
func TestMigrateLegacyUploads(t *testing.T) {
	s := openStore(t)
	ctx := t.Context()
	id := newUploadID(s.clock.Now())
	enc := entry.Encoder{}
	enc.Byte(legacyVersion)
	enc.Str("obj")
	enc.Str(id)
	enc.Metadata(&Metadata{ContentType: "a/b"})
	enc.Varint(42)
	enc.Uvarint(0)
	part := entry.Encoder{}
	part.Byte(legacyVersion)
	part.Uvarint(2)
	part.Raw(make([]byte, 20))
	part.Uvarint(5)
	part.Str("etag")
	part.Str("")
	part.Str("")
	part.Varint(43)
	part.Uvarint(0)
	err := s.db.Update(func(txn *badger.Txn) error {
		if err := txn.Set(uploadKey("u", "b", "obj", id), enc.B); err != nil {
			return err
		}
		return txn.Set(binary.BigEndian.AppendUint16(partsPrefix(id), 2), part.B)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.MigrateUploads(ctx); err != nil {
		t.Fatal(err)
	}
	u, parts, _, err := s.Parts(ctx, "u", "b", "obj", id, 0, 0)
	if err != nil || u.Metadata.ContentType != "a/b" || len(parts) != 1 || parts[0].Number != 2 || parts[0].ETag != "etag" || parts[0].Writer != "node-a" {
		t.Fatalf("migrated upload = %+v, parts %+v, %v", u, parts, err)
	}
	out, err := s.Outbox().Entries(Key{"u", "b"})
	if err != nil || len(out) != 2 {
		t.Fatalf("outbox holds %d entries, want the upload and its part (%v)", len(out), err)
	}
	_ = s.db.View(func(txn *badger.Txn) error {
		if hasPrefix(txn, []byte(prefixUpload)) || hasPrefix(txn, []byte(prefixPart)) {
			t.Error("legacy records left")
		}
		return nil
	})
}
