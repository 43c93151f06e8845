package record

import (
	"bytes"
	"errors"
	"testing"
)

func TestSelectIsDeterministic(t *testing.T) {
	alice := newSigner(t)
	key := CatalogHeadKey(alice.akid, "photos")
	a, b, c := alice.head("photos", 5, "x").Marshal(), alice.head("photos", 5, "y").Marshal(), alice.head("photos", 6).Marshal()
	v := Validator{}
	for _, order := range [][][]byte{{a, b, c}, {c, b, a}, {b, c, a}, {[]byte("junk"), c, a}} {
		i, err := v.Select(key, order)
		if err != nil || !bytes.Equal(order[i], c) {
			t.Fatalf("Select picked %d (%v), want the highest sequence", i, err)
		}
	}
	i1, _ := v.Select(key, [][]byte{a, b})
	i2, _ := v.Select(key, [][]byte{b, a})
	if !bytes.Equal([][]byte{a, b}[i1], [][]byte{b, a}[i2]) {
		t.Fatal("equal sequences: Select depends on the order of values")
	}
	if i, _ := v.Select(key, [][]byte{a, bytes.Clone(a)}); i != 0 {
		t.Fatal("a record compared with itself was displaced")
	}
	if _, err := v.Select(key, [][]byte{[]byte("junk")}); !errors.Is(err, ErrNoRecords) {
		t.Fatalf("Select of no valid record = %v, want ErrNoRecords", err)
	}
}
