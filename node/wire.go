package node

import (
	"encoding/binary"
	"fmt"
	"io"
)

// Length-prefixed fields of the D3S request/response protocols: a
// big-endian length (2 or 4 bytes), then the bytes. Readers bound every
// length before allocating.

// appendField16 appends b with a 2-byte length.
func appendField16(dst, b []byte) []byte {
	return append(binary.BigEndian.AppendUint16(dst, uint16(len(b))), b...)
}

// appendField32 appends b with a 4-byte length.
func appendField32(dst, b []byte) []byte {
	return append(binary.BigEndian.AppendUint32(dst, uint32(len(b))), b...)
}

// readField16 reads a field written by appendField16 of at most limit bytes.
func readField16(r io.Reader, limit int) ([]byte, error) {
	var l [2]byte
	if _, err := io.ReadFull(r, l[:]); err != nil {
		return nil, err
	}
	return readN(r, int(binary.BigEndian.Uint16(l[:])), limit)
}

// readField32 reads a field written by appendField32 of at most limit bytes.
func readField32(r io.Reader, limit int) ([]byte, error) {
	var l [4]byte
	if _, err := io.ReadFull(r, l[:]); err != nil {
		return nil, err
	}
	return readN(r, int(binary.BigEndian.Uint32(l[:])), limit)
}

func readN(r io.Reader, n, limit int) ([]byte, error) {
	if n > limit {
		return nil, fmt.Errorf("%w: field of %d bytes exceeds %d", errBadMessage, n, limit)
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		return nil, err
	}
	return b, nil
}
