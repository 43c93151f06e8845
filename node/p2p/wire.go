package p2p

import (
	"encoding/binary"
	"fmt"
	"io"
)

// AppendField16 appends b with a 2-byte length; b must be shorter than
// 64 KiB.
func AppendField16(dst, b []byte) []byte {
	return append(binary.BigEndian.AppendUint16(dst, uint16(len(b))), b...)
}

// AppendField32 appends b with a 4-byte length.
func AppendField32(dst, b []byte) []byte {
	return append(binary.BigEndian.AppendUint32(dst, uint32(len(b))), b...)
}

// ReadField16 reads a field written by AppendField16 of at most limit
// bytes: ErrBadMessage when it is longer, r's error (io.EOF,
// io.ErrUnexpectedEOF) when r ends first.
func ReadField16(r io.Reader, limit int) ([]byte, error) {
	var l [2]byte
	if _, err := io.ReadFull(r, l[:]); err != nil {
		return nil, err
	}
	return readN(r, int(binary.BigEndian.Uint16(l[:])), limit)
}

// ReadField32 reads a field written by AppendField32 of at most limit
// bytes, like ReadField16.
func ReadField32(r io.Reader, limit int) ([]byte, error) {
	var l [4]byte
	if _, err := io.ReadFull(r, l[:]); err != nil {
		return nil, err
	}
	return readN(r, int(binary.BigEndian.Uint32(l[:])), limit)
}

// readN reads an n-byte field body, refusing it before allocating when n
// exceeds limit.
func readN(r io.Reader, n, limit int) ([]byte, error) {
	if n > limit {
		return nil, fmt.Errorf("%w: field of %d bytes exceeds %d", ErrBadMessage, n, limit)
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		return nil, err
	}
	return b, nil
}
