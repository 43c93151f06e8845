package swarm

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"testing"
	"time"
)

func TestFetchFromPeer(t *testing.T) {
	a, b := newSwarm(t), newSwarm(t)
	cases := []struct {
		name  string
		parts []int
	}{
		{"file", []int{3<<20 + 123}},
		{"inline", []int{700}},
		{"empty", []int{0}},
		{"concat", []int{1 << 20, 5000, 300 << 10}},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var data []byte
			var ids []ID
			for j, n := range tc.parts {
				p := randBytes(uint64(50+10*i+j), n)
				data = append(data, p...)
				ids = append(ids, mustPut(t, a, p).ID)
			}
			id := ids[0]
			if len(ids) > 1 {
				obj, err := a.Concat(t.Context(), ids)
				if err != nil {
					t.Fatalf("Concat: %v", err)
				}
				id = obj.ID
			}
			fetchAndCheck(t, a, b, id, data)
		})
	}
}

func fetchAndCheck(t *testing.T, a, b *testSwarm, id ID, data []byte) {
	t.Helper()
	if err := a.Seed(t.Context(), id); err != nil {
		t.Fatalf("Seed: %v", err)
	}
	mi, err := a.MetaInfo(t.Context(), id)
	if err != nil {
		t.Fatalf("MetaInfo: %v", err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	obj, err := b.Fetch(ctx, id, mi, []string{a.Self()})
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	if obj.ID != id || obj.SHA256 != sha256.Sum256(data) || obj.Size != int64(len(data)) {
		t.Fatalf("Fetch = %+v; want id %s size %d sha %x", obj, id, len(data), sha256.Sum256(data))
	}
	if got := readAll(t, b, id); !bytes.Equal(got, data) {
		t.Fatalf("fetched bytes differ")
	}
	if b.Seeding(id) {
		t.Errorf("fetched object still loaded as a torrent after Fetch")
	}
}

func TestFetchRejectsForeignMetaInfo(t *testing.T) {
	a, b := newSwarm(t), newSwarm(t)
	obj := mustPut(t, a, randBytes(1, 100<<10))
	other := mustPut(t, a, randBytes(2, 100<<10))
	mi, _ := a.MetaInfo(t.Context(), obj.ID)
	cases := []struct {
		name string
		id   ID
		mi   []byte
	}{
		{"wrong infohash", other.ID, mi},
		{"garbage", obj.ID, []byte("not bencode")},
		{"truncated", obj.ID, mi[:len(mi)/2]},
	}
	for _, tc := range cases {
		if _, err := b.Fetch(t.Context(), tc.id, tc.mi, []string{a.Self()}); !errors.Is(err, ErrBadMetaInfo) {
			t.Errorf("%s: Fetch error %v, want ErrBadMetaInfo", tc.name, err)
		}
	}
	if files := b.dataFiles(t); len(files) != 0 {
		t.Fatalf("files kept: %v", files)
	}
}

func TestFetchWithoutPeersHonoursContext(t *testing.T) {
	a, b := newSwarm(t), newSwarm(t)
	obj := mustPut(t, a, randBytes(1, 200<<10))
	mi, _ := a.MetaInfo(t.Context(), obj.ID)
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	// a does not seed: nobody serves the object.
	if _, err := b.Fetch(ctx, obj.ID, mi, []string{a.Self()}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Fetch with no seeder: %v, want context.DeadlineExceeded", err)
	}
	if files := b.dataFiles(t); len(files) != 0 {
		t.Fatalf("files kept after a failed fetch: %v", files)
	}
}

// TestFetchInlineLeavesNoFile checks that a small object read from a peer
// (Fetch or OpenRemote) ends up in the database only: its download file
// is not left behind in tmp/, uncounted by the cache budget.
func TestFetchInlineLeavesNoFile(t *testing.T) {
	a, b := newSwarm(t), newSwarm(t)
	for i, open := range []bool{false, true} {
		data := randBytes(uint64(90+i), 900)
		id, mi := seeded(t, a, data)
		if open {
			r, err := b.OpenRemote(t.Context(), id, mi, []string{a.Self()})
			if err != nil {
				t.Fatalf("OpenRemote: %v", err)
			}
			if got, err := io.ReadAll(r); err != nil || !bytes.Equal(got, data) {
				t.Fatalf("OpenRemote read: %v (equal %v)", err, bytes.Equal(got, data))
			}
			waitStored(t, b, id)
			r.Close()
		} else if _, err := b.Fetch(t.Context(), id, mi, []string{a.Self()}); err != nil {
			t.Fatalf("Fetch: %v", err)
		}
		if files := b.dataFiles(t); len(files) != 0 {
			t.Fatalf("open=%v: files left after an inline object was fetched: %v", open, files)
		}
		if got := readAll(t, b, id); !bytes.Equal(got, data) {
			t.Fatalf("open=%v: cached bytes differ", open)
		}
	}
}
