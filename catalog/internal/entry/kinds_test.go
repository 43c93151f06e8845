package entry

import (
	"errors"
	"testing"
)

func TestMultipartKeys(t *testing.T) {
	for _, key := range []string{"", "a", "a\x00b", "\x00", "dir/obj"} {
		k := UploadKey(key, "0123")
		if KindOf(k) != KindUpload {
			t.Fatalf("KindOf(UploadKey(%q)) = %d", key, KindOf(k))
		}
		if gotKey, id, ok := ParseUploadKey(k); !ok || gotKey != key || id != "0123" {
			t.Fatalf("ParseUploadKey(UploadKey(%q)) = %q %q %v", key, gotKey, id, ok)
		}
	}
	if UploadKey("a", "z") >= UploadKey("a\x00", "0") || UploadKey("a\x00", "z") >= UploadKey("ab", "0") {
		t.Fatal("upload keys do not sort by object key first")
	}
	if PartKey("id", 2) >= PartKey("id", 10) || PartKey("id", 10000) >= PartKey("id0", 1) {
		t.Fatal("part keys do not sort by upload, then number")
	}
	if id, n, ok := ParsePartKey(PartKey("id\x00x", 10000)); !ok || id != "id\x00x" || n != 10000 {
		t.Fatalf("ParsePartKey = %q %d %v", id, n, ok)
	}
	if KindOf("é/\xff") != KindObject || KindOf(PartKey("i", 1)) != KindPart {
		t.Fatal("KindOf")
	}
}

// TestMultipartEntryEncoding: upload and part entries are version 2, which
// nodes built before them refuse (they checked for version 1 only), so
// none of them reads one as an object; objects stay version 1; an entry
// whose kind does not match its key does not decode.
func TestMultipartEntryEncoding(t *testing.T) {
	for _, e := range []Entry{
		{Key: UploadKey("obj", "01"), Writer: "n", Time: Time{Wall: 5}},
		{Key: PartKey("01", 3), Size: 9, ETag: "e", DeleteMarker: true},
	} {
		b, err := e.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		if b[0] != multipartVersion || IsMarker(b) != e.DeleteMarker {
			t.Fatalf("%q: version %d, marker %v", e.Key, b[0], IsMarker(b))
		}
		var got Entry
		if err := got.UnmarshalBinary(b); err != nil || got.Key != e.Key || got.Size != e.Size || got.DeleteMarker != e.DeleteMarker {
			t.Fatalf("round trip of %q: %+v, %v", e.Key, got, err)
		}
		b[2] = byte(KindObject) // the kind byte
		if err := got.UnmarshalBinary(b); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("kind not matching the key: %v", err)
		}
	}
	obj := Entry{Key: "obj"}
	b, _ := obj.MarshalBinary()
	if b[0] != entryVersion {
		t.Fatalf("object entry version %d", b[0])
	}
	// A version 1 entry under a reserved key is refused too.
	forged := append([]byte{entryVersion, 0}, b[2:]...)
	forged[2] = byte(len(PartKey("01", 1)))
	forged = append(forged[:3], append([]byte(PartKey("01", 1)), b[3+len("obj"):]...)...)
	var got Entry
	if err := got.UnmarshalBinary(forged); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("version 1 entry with a part key: %v", err)
	}
}
