package swarm

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"sync"
	"testing"
	"time"
)

// seeded puts data on s and seeds it, returning its ID and metainfo.
func seeded(t testing.TB, s *testSwarm, data []byte) (ID, []byte) {
	t.Helper()
	obj := mustPut(t, s, data)
	if err := s.Seed(context.Background(), obj.ID); err != nil {
		t.Fatalf("Seed: %v", err)
	}
	mi, err := s.MetaInfo(context.Background(), obj.ID)
	if err != nil {
		t.Fatalf("MetaInfo: %v", err)
	}
	return obj.ID, mi
}

// recordPeers collects the per-peer byte counts of s's downloads.
func recordPeers(s *testSwarm) func() map[string]int64 {
	var mu sync.Mutex
	got := map[string]int64{}
	s.eng.fetchedFrom = func(_ ID, from map[string]int64) {
		mu.Lock()
		defer mu.Unlock()
		for k, v := range from {
			got[k] += v
		}
	}
	return func() map[string]int64 {
		mu.Lock()
		defer mu.Unlock()
		return got
	}
}

func TestFetchFromSeveralPeers(t *testing.T) {
	a, b, c := newSwarm(t), newSwarm(t), newSwarm(t)
	data := randBytes(7, 48<<20)
	id, mi := seeded(t, a, data)
	if id2, _ := seeded(t, b, data); id2 != id {
		t.Fatalf("same bytes, different IDs")
	}
	from := recordPeers(c)
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	if _, err := c.Fetch(ctx, id, mi, []string{a.Self(), b.Self(), c.Self()}); err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	if got := readAll(t, c, id); !bytes.Equal(got, data) {
		t.Fatalf("fetched bytes differ")
	}
	got := from()
	t.Logf("useful bytes by peer: %v", got)
	if got[a.Self()] == 0 || got[b.Self()] == 0 {
		t.Errorf("pieces came from %v; want both %s and %s", got, a.Self(), b.Self())
	}
}

func TestFetchIgnoresCorruptPeer(t *testing.T) {
	good, bad, c := newSwarm(t), newSwarm(t), newSwarm(t)
	data := randBytes(8, 8<<20)
	id, mi := seeded(t, good, data)
	seeded(t, bad, data)
	// Flip one byte in every 64 KiB of bad's stored file.
	f, err := os.OpenFile(bad.data.objPath(id), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	for off := int64(100); off < int64(len(data)); off += 64 << 10 {
		if _, err := f.WriteAt([]byte{data[off] ^ 0xff}, off); err != nil {
			t.Fatal(err)
		}
	}
	f.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	// The bad peer comes first.
	obj, err := c.Fetch(ctx, id, mi, []string{bad.Self(), good.Self()})
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	if obj.ID != id {
		t.Fatalf("Fetch = %s, want %s", obj.ID, id)
	}
	if got := readAll(t, c, id); !bytes.Equal(got, data) {
		t.Fatalf("fetched bytes differ from the original")
	}
}

func TestOpenRemoteRangeBeforeComplete(t *testing.T) {
	a, b := newSwarm(t), newSwarm(t)
	data := randBytes(9, 64<<20)
	id, mi := seeded(t, a, data)
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	start := time.Now()
	r, err := b.OpenRemote(ctx, id, mi, []string{a.Self()})
	if err != nil {
		t.Fatalf("OpenRemote: %v", err)
	}
	defer r.Close()
	const off, n = 40 << 20, 1 << 20
	if _, err := r.Seek(off, io.SeekStart); err != nil {
		t.Fatalf("Seek: %v", err)
	}
	buf := make([]byte, n)
	if _, err := io.ReadFull(r, buf[:1]); err != nil {
		t.Fatalf("first byte: %v", err)
	}
	ttfb := time.Since(start)
	if _, err := io.ReadFull(r, buf[1:]); err != nil {
		t.Fatalf("read range: %v", err)
	}
	t.Logf("time to first byte at offset %d MiB: %v", off>>20, ttfb)
	if !bytes.Equal(buf, data[off:off+n]) {
		t.Fatalf("range bytes differ")
	}
	if _, err := b.Stat(ctx, id); err == nil {
		t.Logf("the download completed before the range was read (fast machine)")
	}
	// Read the rest from the start; the object then becomes cached.
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		t.Fatalf("Seek: %v", err)
	}
	all, err := io.ReadAll(r)
	if err != nil || !bytes.Equal(all, data) {
		t.Fatalf("ReadAll: %v, equal %v", err, bytes.Equal(all, data))
	}
	waitStored(t, b, id)
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if b.Seeding(id) {
		t.Errorf("torrent still loaded after the last reader closed")
	}
	if err := b.Evict(ctx, id); err != nil {
		t.Fatalf("Evict: %v", err)
	}
	if _, err := b.Stat(ctx, id); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Stat after Evict: %v", err)
	}
}

// waitStored waits until s has committed id.
func waitStored(t *testing.T, s *testSwarm, id ID) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := s.Stat(t.Context(), id); err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never stored", id)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestOpenRemoteCloseCancels(t *testing.T) {
	a, b := newSwarm(t), newSwarm(t)
	id, mi := seeded(t, a, randBytes(10, 1<<20))
	if err := a.Unseed(t.Context(), id); err != nil { // nobody serves it
		t.Fatal(err)
	}
	r, err := b.OpenRemote(t.Context(), id, mi, []string{a.Self()})
	if err != nil {
		t.Fatalf("OpenRemote: %v", err)
	}
	r.Close()
	if files := b.dataFiles(t); len(files) != 0 {
		t.Fatalf("files kept after the only reader closed: %v", files)
	}
	if b.Seeding(id) {
		t.Fatalf("torrent still loaded")
	}
}

func TestCachedObjectFetchTakesReference(t *testing.T) {
	a, b := newSwarm(t), newSwarm(t)
	data := randBytes(11, 2<<20)
	id, mi := seeded(t, a, data)
	r, err := b.OpenRemote(t.Context(), id, mi, []string{a.Self()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadAll(r); err != nil {
		t.Fatal(err)
	}
	waitStored(t, b, id)
	r.Close()
	if _, err := b.Fetch(t.Context(), id, mi, nil); err != nil {
		t.Fatalf("Fetch of a cached object: %v", err)
	}
	if err := b.Evict(t.Context(), id); !errors.Is(err, ErrHeld) {
		t.Fatalf("Evict of a held object: %v, want ErrHeld", err)
	}
	if err := b.Release(t.Context(), id); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Stat(t.Context(), id); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Stat after the last Release: %v", err)
	}
}

// TestOpenRemoteStalls checks that a read nobody can serve fails with
// ErrStalled after remoteStall instead of hanging.
func TestOpenRemoteStalls(t *testing.T) {
	old := remoteStall
	remoteStall = 300 * time.Millisecond
	t.Cleanup(func() { remoteStall = old })
	a, b := newSwarm(t), newSwarm(t)
	id, mi := seeded(t, a, randBytes(12, 1<<20))
	if err := a.Unseed(t.Context(), id); err != nil { // nobody serves it
		t.Fatal(err)
	}
	r, err := b.OpenRemote(t.Context(), id, mi, []string{a.Self()})
	if err != nil {
		t.Fatalf("OpenRemote: %v", err)
	}
	defer r.Close()
	if n, err := r.Read(make([]byte, 100)); !errors.Is(err, ErrStalled) {
		t.Fatalf("Read = %d, %v; want ErrStalled", n, err)
	}
}
