package onepass

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"testing"
)

// TestRunMatchesHashAll checks that the concurrent pass and the one-goroutine
// hash agree across chunk and piece boundaries, and that a reader shorter
// or longer than declared fails with ErrSizeMismatch.
func TestRunMatchesHashAll(t *testing.T) {
	const pieceLen = 16 << 10
	for _, size := range []int{0, 1, pieceLen - 1, pieceLen + 1, ChunkSize + 1, 3*ChunkSize + 5} {
		b := make([]byte, size)
		rnd := rand.New(rand.NewPCG(uint64(size), 1))
		for i := range b {
			b[i] = byte(rnd.Uint32())
		}
		var written []byte
		got, err := Run(t.Context(), bytes.NewReader(b), int64(size), pieceLen, true, func(c []byte) error {
			written = append(written, c...)
			return nil
		})
		if err != nil {
			t.Fatalf("size %d: %v", size, err)
		}
		want := HashAll(b, pieceLen)
		if got.MD5 != want.MD5 || got.SHA256 != want.SHA256 || !bytes.Equal(got.Pieces, want.Pieces) || !bytes.Equal(written, b) {
			t.Fatalf("size %d: pass and HashAll differ", size)
		}
		if _, err := Run(t.Context(), bytes.NewReader(b), int64(size)+1, pieceLen, false, nil); !errors.Is(err, ErrSizeMismatch) {
			t.Fatalf("size %d, declared one more: %v, want ErrSizeMismatch", size, err)
		}
		if size > 0 {
			if _, err := Run(t.Context(), bytes.NewReader(b), int64(size)-1, pieceLen, false, nil); !errors.Is(err, ErrSizeMismatch) {
				t.Fatalf("size %d, declared one less: %v, want ErrSizeMismatch", size, err)
			}
		}
	}
}
