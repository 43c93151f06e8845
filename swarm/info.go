package swarm

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
)

// Piece-length rule: the smallest power of two from minPieceLength up to
// maxPieceLength that keeps an object at or under targetPieces pieces. It
// depends only on the size, so identical bytes always give the same torrent.
const (
	minPieceLength = 16 << 10
	maxPieceLength = 16 << 20
	targetPieces   = 2048
)

// pieceLength returns the piece length of a size-byte object.
func pieceLength(size int64) int64 {
	pl := int64(minPieceLength)
	for pl < maxPieceLength && size > pl*targetPieces {
		pl *= 2
	}
	return pl
}

// numPieces returns how many pieces a size-byte object has.
func numPieces(size, pieceLen int64) int64 { return (size + pieceLen - 1) / pieceLen }

// infoBytes encodes the single-file info dictionary by hand, keys sorted as
// bencoding requires, so that "length" is present even for empty objects.
// The name is the hex SHA-256 of the bytes.
func infoBytes(size, pieceLen int64, pieces []byte, sum [32]byte) []byte {
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

// infoID returns the infohash of an encoded info dictionary.
func infoID(info []byte) ID { return sha1.Sum(info) }

// metaInfo wraps an info dictionary into a .torrent file without trackers;
// peers come from D3S placement, and ?torrent adds web seeds.
func metaInfo(info []byte) []byte {
	b := make([]byte, 0, len(info)+16)
	b = append(b, "d4:info"...)
	b = append(b, info...)
	return append(b, 'e')
}

// objPath is where a file object lives: obj/ab/cd/abcd…, fanned out so no
// directory grows past 65536 entries of subdirectories.
func (s *Swarm) objPath(id ID) string {
	h := id.String()
	return filepath.Join(s.dir, "obj", h[:2], h[2:4], h)
}

// tempFile creates a temp file that New removes if a crash leaves it.
func (s *Swarm) tempFile() (*os.File, error) {
	return os.CreateTemp(filepath.Join(s.dir, "tmp"), "put-*")
}

// pieceHashes returns the SHA-1 piece hashes of a stored object, the
// "pieces" of its info dictionary, once the dictionary is shown to be the
// one its ID names and to describe its record: reads check bytes against
// these hashes, so they must not come from a damaged value.
func (s *Swarm) pieceHashes(id ID, rec *record) ([]byte, error) {
	info, err := s.getValue(prefixInfo, id)
	if err != nil {
		return nil, err
	}
	return s.infoPieces(id, rec, info)
}

// infoPieces checks info, id's info dictionary, against id and rec and
// returns its piece hashes.
func (s *Swarm) infoPieces(id ID, rec *record, info []byte) ([]byte, error) {
	n := numPieces(rec.size, rec.pieceLen) * sha1.Size
	if int64(len(info)) < n+1 || infoID(info) != id {
		return nil, s.badInfo(id)
	}
	pieces := info[int64(len(info))-1-n : len(info)-1]
	if !bytes.Equal(infoBytes(rec.size, rec.pieceLen, pieces, rec.sha256), info) {
		return nil, s.badInfo(id)
	}
	return pieces, nil
}

// badInfo reports an object whose info dictionary does not match its ID
// or record: none of its bytes can be checked, so none are served.
func (s *Swarm) badInfo(id ID) error {
	err := fmt.Errorf("%w: %s: info dictionary does not match the object", ErrCorrupt, id)
	s.reportCorrupt(id, err)
	return err
}
