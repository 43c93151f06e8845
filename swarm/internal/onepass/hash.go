package onepass

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"hash"
)

// pieceHasher computes the SHA-1 of each pieceLen-byte piece of a stream:
// the "pieces" string of a v1 info dictionary.
type pieceHasher struct {
	pieceLen int64
	h        hash.Hash
	n        int64 // bytes of the current piece hashed so far
	pieces   []byte
}

func newPieceHasher(size, pieceLen int64) *pieceHasher {
	return &pieceHasher{
		pieceLen: pieceLen,
		h:        sha1.New(),
		pieces:   make([]byte, 0, (size+pieceLen-1)/pieceLen*sha1.Size),
	}
}

// Write never fails; it has the io.Writer shape to sit beside the others.
func (p *pieceHasher) Write(b []byte) (int, error) {
	n := len(b)
	for len(b) > 0 {
		k := min(int64(len(b)), p.pieceLen-p.n)
		p.h.Write(b[:k])
		p.n += k
		b = b[k:]
		if p.n == p.pieceLen {
			p.pieces = p.h.Sum(p.pieces)
			p.h.Reset()
			p.n = 0
		}
	}
	return n, nil
}

// Sum returns the concatenated piece hashes, closing a short last piece.
func (p *pieceHasher) Sum() []byte {
	if p.n > 0 {
		p.pieces = p.h.Sum(p.pieces)
		p.h.Reset()
		p.n = 0
	}
	return p.pieces
}

// Digests are what one pass over an object's bytes yields.
type Digests struct {
	MD5    [16]byte // zero when the pass did not compute it
	SHA256 [32]byte
	Pieces []byte // the SHA-1 of each piece, concatenated
}

// HashAll computes every digest of b, pieces of pieceLen bytes, on the
// calling goroutine: for small objects, where starting goroutines costs
// more than it saves.
func HashAll(b []byte, pieceLen int64) Digests {
	ph := newPieceHasher(int64(len(b)), pieceLen)
	ph.Write(b)
	return Digests{MD5: md5.Sum(b), SHA256: sha256.Sum256(b), Pieces: ph.Sum()}
}
