package record

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestHeadFrontierRoundTrip signs a head with a frontier: Sign sorts it,
// the encoding decodes to the same head, Size is the encoding's length
// and FrontierOf finds each writer's mark.
func TestHeadFrontierRoundTrip(t *testing.T) {
	alice := newSigner(t)
	h := alice.head("photos", 3, "e1")
	h.Frontier = []FrontierMark{
		{Writer: "node-c", Time: HLC{Wall: 30}},
		{Writer: "node-a", Time: HLC{Wall: 10, Logical: 2}},
	}
	h.Sign(alice.priv)
	raw := h.Marshal()
	if h.Version != CatalogHeadVersion || len(raw) != h.Size() {
		t.Fatalf("version %d, %d bytes, Size %d", h.Version, len(raw), h.Size())
	}
	if err := (Validator{}).Validate(CatalogHeadKey(alice.akid, "photos"), raw); err != nil {
		t.Fatal(err)
	}
	got, err := UnmarshalCatalogHead(raw)
	if err != nil {
		t.Fatal(err)
	}
	want := []FrontierMark{{Writer: "node-a", Time: HLC{Wall: 10, Logical: 2}}, {Writer: "node-c", Time: HLC{Wall: 30}}}
	if !slices.Equal(got.Frontier, want) || !bytes.Equal(got.Marshal(), raw) {
		t.Fatalf("frontier %+v, want %+v", got.Frontier, want)
	}
	if got.FrontierOf("node-c") != (HLC{Wall: 30}) || got.FrontierOf("node-b") != (HLC{}) {
		t.Fatalf("FrontierOf: %+v, %+v", got.FrontierOf("node-c"), got.FrontierOf("node-b"))
	}
}

// TestVersion1HeadStillValid checks that heads written before the
// frontier existed still decode, validate and compete in Select by
// sequence with the current format.
func TestVersion1HeadStillValid(t *testing.T) {
	alice := newSigner(t)
	key := CatalogHeadKey(alice.akid, "photos")
	old := alice.head("photos", 4, "e1", "e2")
	old.sign(alice.priv, CatalogHeadV1)
	raw := old.Marshal()
	if raw[0] != CatalogHeadV1 || len(raw) != old.Size() {
		t.Fatalf("version byte %d, %d bytes, Size %d", raw[0], len(raw), old.Size())
	}
	v := Validator{}
	if err := v.Validate(key, raw); err != nil {
		t.Fatalf("version 1 head: %v", err)
	}
	got, err := UnmarshalCatalogHead(raw)
	if err != nil || got.Version != CatalogHeadV1 || got.Frontier != nil || len(got.Entries) != 2 || !bytes.Equal(got.Marshal(), raw) {
		t.Fatalf("decode version 1 = %+v, %v", got, err)
	}
	newer := alice.head("photos", 5)
	newer.Frontier = []FrontierMark{{Writer: "node-a", Time: HLC{Wall: 1}}}
	newer.Sign(alice.priv)
	for _, order := range [][][]byte{{raw, newer.Marshal()}, {newer.Marshal(), raw}} {
		if i, err := v.Select(key, order); err != nil || order[i][0] != CatalogHeadVersion {
			t.Fatalf("Select between versions picked %d (%v), want the higher sequence", i, err)
		}
	}
	// A version 1 head re-labelled as version 2 does not validate: the
	// version byte is signed.
	relabelled := bytes.Clone(raw)
	relabelled[0] = CatalogHeadVersion
	if err := v.Validate(key, relabelled); err == nil {
		t.Fatal("relabelled head validated")
	}
}

// TestHeadFrontierBounds checks that malformed frontiers are refused,
// signed or not.
func TestHeadFrontierBounds(t *testing.T) {
	alice := newSigner(t)
	key := CatalogHeadKey(alice.akid, "photos")
	// signUnsorted signs h as is, so the tests can produce what Sign
	// would have sorted.
	signUnsorted := func(h CatalogHead) []byte {
		h.Version, h.PublicKey = CatalogHeadVersion, alice.pub
		h.Signature = ed25519.Sign(alice.priv, append([]byte(headDomain), h.signedBytes()...))
		return h.Marshal()
	}
	mark := func(w string, wall int64) FrontierMark { return FrontierMark{Writer: w, Time: HLC{Wall: wall}} }
	tooMany := make([]FrontierMark, MaxFrontier+1)
	for i := range tooMany {
		tooMany[i] = mark(fmt.Sprintf("w%05d", i), 1)
	}
	cases := map[string][]FrontierMark{
		"unsorted":       {mark("b", 1), mark("a", 1)},
		"duplicate":      {mark("a", 1), mark("a", 2)},
		"empty writer":   {mark("", 1)},
		"long writer":    {mark(strings.Repeat("w", MaxWriterLen+1), 1)},
		"zero time":      {mark("a", 0)},
		"too many marks": tooMany,
	}
	for name, f := range cases {
		t.Run(name, func(t *testing.T) {
			h := alice.head("photos", 2)
			h.Frontier = f
			if err := (Validator{}).Validate(key, signUnsorted(h)); !errors.Is(err, ErrMalformedRecord) {
				t.Fatalf("err = %v, want ErrMalformedRecord", err)
			}
		})
	}
}

// TestFullFrontierFitsRecord checks the size bound: a head with the
// largest frontier and 256 KiB of entries (the catalog's bound on a
// whole head) stays under MaxBucketRecordSize.
func TestFullFrontierFitsRecord(t *testing.T) {
	alice := newSigner(t)
	h := alice.head("photos", 2)
	for i := range MaxFrontier {
		w := fmt.Sprintf("%05d", i) + strings.Repeat("w", MaxWriterLen-5)
		h.Frontier = append(h.Frontier, FrontierMark{Writer: w, Time: HLC{Wall: time.Now().UnixNano()}})
	}
	frontier := h.Size()
	h.Entries = [][]byte{bytes.Repeat([]byte{1}, 256<<10)}
	h.Sign(alice.priv)
	raw := h.Marshal()
	t.Logf("head with %d frontier marks of %d-byte writers: %d bytes without entries", MaxFrontier, MaxWriterLen, frontier)
	if len(raw) > MaxBucketRecordSize || len(raw) != h.Size() {
		t.Fatalf("%d bytes (Size %d), bound %d", len(raw), h.Size(), MaxBucketRecordSize)
	}
	if err := (Validator{}).Validate(CatalogHeadKey(alice.akid, "photos"), raw); err != nil {
		t.Fatal(err)
	}
}
