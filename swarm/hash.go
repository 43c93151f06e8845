package swarm

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
		pieces:   make([]byte, 0, numPieces(size, pieceLen)*sha1.Size),
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

// digests are what one pass over an object's bytes yields.
type digests struct {
	md5    [16]byte
	sha256 [32]byte
	pieces []byte
}

// hashAll computes every digest of b on the calling goroutine: for small
// objects, where starting goroutines costs more than it saves.
func hashAll(b []byte, pieceLen int64) digests {
	ph := newPieceHasher(int64(len(b)), pieceLen)
	ph.Write(b)
	return digests{md5: md5.Sum(b), sha256: sha256.Sum256(b), pieces: ph.Sum()}
}

// check compares the digests with what the caller expects.
func (d *digests) check(want Expect) error {
	if want.MD5 != nil && string(want.MD5) != string(d.md5[:]) {
		return ErrMD5Mismatch
	}
	if want.SHA256 != nil && string(want.SHA256) != string(d.sha256[:]) {
		return ErrSHA256Mismatch
	}
	return nil
}
