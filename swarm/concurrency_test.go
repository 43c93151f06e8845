package swarm

import (
	"bytes"
	"errors"
	"sync"
	"testing"
)

func TestConcurrentPutsOfSameBytesCountEveryReference(t *testing.T) {
	for _, size := range []int{1000, 200 << 10} {
		s := newSwarm(t)
		b := randBytes(9, size)
		const n = 12
		ids := make([]ID, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				obj, err := s.Put(t.Context(), bytes.NewReader(b), int64(len(b)), Expect{})
				if err != nil {
					t.Errorf("Put: %v", err)
				}
				ids[i] = obj.ID
			})
		}
		wg.Wait()
		for i := range n {
			if ids[i] != ids[0] {
				t.Fatalf("size %d: IDs differ: %s, %s", size, ids[0], ids[i])
			}
		}
		for i := range n {
			if got := readAll(t, s, ids[0]); !bytes.Equal(got, b) {
				t.Fatalf("size %d: bytes differ with %d references left", size, n-i)
			}
			if err := s.Release(t.Context(), ids[0]); err != nil {
				t.Fatalf("Release %d: %v", i, err)
			}
		}
		if _, err := s.Stat(t.Context(), ids[0]); !errors.Is(err, ErrNotFound) {
			t.Fatalf("size %d: Stat after %d releases: %v, want ErrNotFound", size, n, err)
		}
		if files := s.dataFiles(t); len(files) != 0 {
			t.Fatalf("size %d: files left: %v", size, files)
		}
	}
}
