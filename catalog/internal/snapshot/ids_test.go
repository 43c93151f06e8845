package snapshot

import (
	"bytes"
	"testing"

	"github.com/d3s/d3s/catalog/internal/entry"
)

// TestManifestPlacedAndOldIDs: a version 4 manifest keeps run IDs of any
// valid length (a node's SHA-256 + infohash), its own ID may carry a
// suffix too, and a version 3 manifest (32-byte IDs) still decodes.
func TestManifestPlacedAndOldIDs(t *testing.T) {
	placed := append(ID([]byte("run one")), bytes.Repeat([]byte{7}, 20)...)
	old := ID([]byte("run two"))
	m := Manifest{Runs: []RunRef{{ID: placed, Entries: 3, Bytes: 10}, {ID: old, Entries: 1, Bytes: 4}}, Horizon: 5}
	data := m.Encode()
	id := append(ID(data), bytes.Repeat([]byte{9}, 20)...)
	got, err := DecodeManifest(id, data)
	if err != nil || len(got.Runs) != 2 || !bytes.Equal(got.Runs[0].ID, placed) || !bytes.Equal(got.Runs[1].ID, old) {
		t.Fatalf("v4 round trip: %+v, %v", got, err)
	}
	if _, err := DecodeManifest(append(ID([]byte("other")), id[IDLen:]...), data); err == nil {
		t.Fatal("a manifest decoded under another content address")
	}
	if sid, sdata, ok := SplitStored(append(append([]byte(nil), id...), data...)); !ok || !bytes.Equal(sid, id) || !bytes.Equal(sdata, data) {
		t.Fatal("SplitStored does not find the placed ID")
	}
	enc := entry.Encoder{}
	enc.Raw([]byte(manifestMagic))
	enc.Byte(3)
	enc.Varint(5)
	enc.Uvarint(1)
	enc.Raw(old)
	enc.Uvarint(1)
	enc.Uvarint(4)
	enc.Uvarint(0)
	enc.Varint(0)
	v3, err := DecodeManifest(ID(enc.B), enc.B)
	if err != nil || len(v3.Runs) != 1 || !bytes.Equal(v3.Runs[0].ID, old) {
		t.Fatalf("v3 manifest: %+v, %v", v3, err)
	}
}
