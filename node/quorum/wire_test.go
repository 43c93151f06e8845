package quorum

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"io"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
)

func TestWireRoundTrip(t *testing.T) {
	reqs := []*request{
		{op: opGet, digest: [digestSize]byte{1, 2}, key: "/d3s/bucket/k/b", hashes: [][sha256.Size]byte{{1}, {2}}},
		{op: opSwap, key: "k", value: []byte("value"), hashes: [][sha256.Size]byte{noneHash}},
		{op: opLease, key: "name", nonce: [16]byte{9}, ttl: 1500 * time.Millisecond},
		{op: opRelease, key: "name", nonce: [16]byte{9}},
	}
	for _, req := range reqs {
		got, err := readRequest(bufio.NewReader(bytes.NewReader(req.encode())))
		if err != nil {
			t.Fatalf("op %d: %v", req.op, err)
		}
		if got.op != req.op || got.digest != req.digest || got.key != req.key || !bytes.Equal(got.value, req.value) ||
			!slices.Equal(got.hashes, req.hashes) || got.nonce != req.nonce || got.ttl != req.ttl {
			t.Fatalf("op %d: decoded %+v, sent %+v", req.op, got, req)
		}
	}
	ids := []peer.ID{"not a valid ID"}
	for range 3 {
		ids = append(ids, newTestID(t))
	}
	a := &response{status: stRefused, record: []byte("cur"), members: ids}
	got, err := readResponse(bufio.NewReader(bytes.NewReader(a.encode())))
	if err != nil {
		t.Fatal(err)
	}
	if got.status != stRefused || !bytes.Equal(got.record, a.record) || !slices.Equal(got.members, ids[1:]) {
		t.Fatalf("decoded %+v, sent %+v (the invalid ID dropped)", got, a)
	}
}

func newTestID(t *testing.T) peer.ID {
	t.Helper()
	ms := newNet(t, 1, time.Second)
	return ms[0].id
}

// badRequests are malformed requests; each must reset the stream.
func badRequests() map[string][]byte {
	hdr := func(op byte) []byte { return append([]byte{op}, make([]byte, digestSize)...) }
	return map[string][]byte{
		"empty":               {},
		"op only":             {opGet},
		"short digest":        {opSwap, 1, 2},
		"key too long":        binary.BigEndian.AppendUint16(hdr(opGet), maxKey+1),
		"key cut":             append(binary.BigEndian.AppendUint16(hdr(opGet), 10), 'k'),
		"too many hashes":     binary.BigEndian.AppendUint16(binary.BigEndian.AppendUint16(hdr(opGet), 0), maxHashes+1),
		"hashes cut":          append(binary.BigEndian.AppendUint16(binary.BigEndian.AppendUint16(hdr(opGet), 0), 2), make([]byte, 40)...),
		"huge value":          binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint16(hdr(opSwap), 0), 0xFFFFFFFF),
		"value cut":           append(binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint16(hdr(opSwap), 0), 100), 1, 2),
		"lease without ttl":   append(binary.BigEndian.AppendUint16(hdr(opLease), 0), make([]byte, 16)...),
		"release nonce cut":   append(binary.BigEndian.AppendUint16(hdr(opRelease), 0), 1, 2, 3),
		"swap without hashes": binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint16(hdr(opSwap), 0), 0),
	}
}

func TestMalformedRequestsResetStream(t *testing.T) {
	ms := newNet(t, 2, 5*time.Second)
	ctx := t.Context()
	send := func(b []byte) ([]byte, error) {
		st, err := ms[1].host.NewStream(ctx, ms[0].id, Protocol)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		st.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := st.Write(b); err != nil {
			return nil, err
		}
		st.CloseWrite()
		return io.ReadAll(st)
	}
	for name, b := range badRequests() {
		if got, err := send(b); err == nil {
			t.Fatalf("%s: answered %q, want the stream reset", name, got)
		}
	}
	// An unknown op is answered with an error status.
	got, err := send([]byte{99, 1, 2, 3})
	if err != nil {
		t.Fatalf("unknown op: %v, want an error answer", err)
	}
	a, err := readResponse(bufio.NewReader(bytes.NewReader(got)))
	if err != nil || a.status != stError {
		t.Fatalf("unknown op: answer %+v, %v; want status error", a, err)
	}
	// Random bytes: never a panic (the test binary would die), and the
	// member still serves.
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		b := make([]byte, rng.IntN(200))
		for i := range b {
			b[i] = byte(rng.UintN(256))
		}
		if len(b) > 0 {
			b[0] = byte(rng.IntN(6))
		}
		send(b)
	}
	s := newSigner(t)
	if _, err := ms[1].q.SwapRecord(ctx, s.key("after"), s.head("after", 1, "w"), [][]byte{nil}); err != nil {
		t.Fatalf("swap after the malformed requests: %v", err)
	}
}

func FuzzReadRequest(f *testing.F) {
	for _, b := range badRequests() {
		f.Add(b)
	}
	f.Add((&request{op: opSwap, key: "k", value: []byte("v"), hashes: [][sha256.Size]byte{{1}}}).encode())
	f.Fuzz(func(t *testing.T, b []byte) {
		readRequest(bufio.NewReader(bytes.NewReader(b)))
		readResponse(bufio.NewReader(bytes.NewReader(b)))
	})
}
