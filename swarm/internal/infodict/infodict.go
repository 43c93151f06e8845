package infodict

import (
	"crypto/sha1"
	"encoding/hex"
	"strconv"
)

// Piece-length rule: the smallest power of two from MinPieceLength up to
// maxPieceLength that keeps an object at or under targetPieces pieces. It
// depends only on the size, so identical bytes always give the same torrent.
const (
	// MinPieceLength is the piece length of objects up to 32 MiB.
	MinPieceLength = 16 << 10
	maxPieceLength = 16 << 20
	targetPieces   = 2048
)

// PieceLength returns the piece length of a size-byte object.
func PieceLength(size int64) int64 {
	pl := int64(MinPieceLength)
	for pl < maxPieceLength && size > pl*targetPieces {
		pl *= 2
	}
	return pl
}

// NumPieces returns how many pieces a size-byte object has.
func NumPieces(size, pieceLen int64) int64 { return (size + pieceLen - 1) / pieceLen }

// Encode encodes the single-file info dictionary by hand, keys sorted as
// bencoding requires, so that "length" is present even for empty objects.
// The name is the hex SHA-256 of the bytes, sum.
func Encode(size, pieceLen int64, pieces []byte, sum [32]byte) []byte {
	b := make([]byte, 0, 128+len(pieces))
	b = append(b, "d6:lengthi"...)
	b = strconv.AppendInt(b, size, 10)
	b = append(b, "e4:name64:"...)
	b = hex.AppendEncode(b, sum[:])
	b = append(b, "12:piece lengthi"...)
	b = strconv.AppendInt(b, pieceLen, 10)
	b = append(b, "e6:pieces"...)
	b = strconv.AppendInt(b, int64(len(pieces)), 10)
	b = append(b, ':')
	b = append(b, pieces...)
	return append(b, 'e')
}

// Hash returns the infohash of an encoded info dictionary: the object's ID.
func Hash(info []byte) [20]byte { return sha1.Sum(info) }

// MetaInfo wraps an info dictionary into a .torrent file without trackers;
// peers come from D3S placement, and ?torrent adds web seeds.
func MetaInfo(info []byte) []byte {
	b := make([]byte, 0, len(info)+16)
	b = append(b, "d4:info"...)
	b = append(b, info...)
	return append(b, 'e')
}
