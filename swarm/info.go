package swarm

import (
	"github.com/d3s/d3s/swarm/internal/infodict"

	"bytes"
	"crypto/sha1"
	"fmt"
)

// infoID returns the infohash of an encoded info dictionary.
func infoID(info []byte) ID { return infodict.Hash(info) }

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
	n := infodict.NumPieces(rec.size, rec.pieceLen) * sha1.Size
	if int64(len(info)) < n+1 || infoID(info) != id {
		return nil, s.badInfo(id)
	}
	pieces := info[int64(len(info))-1-n : len(info)-1]
	if !bytes.Equal(infodict.Encode(rec.size, rec.pieceLen, pieces, rec.sha256), info) {
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
