package auth

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
)

const (
	// maxChunkSize bounds one aws-chunked chunk. Nothing is allocated by
	// chunk size (data streams through), so this is only a sanity limit.
	maxChunkSize = 64 << 20
	// maxLineLen bounds a chunk header or trailer line.
	maxLineLen = 4096
	// maxTrailerLines bounds the trailer section.
	maxTrailerLines = 16
	// chunkBufSize is the read buffer of the decoder.
	chunkBufSize = 256 << 10

	trailerSignatureName = "x-amz-trailer-signature"
	chunkSignaturePrefix = "chunk-signature="
)

// chunkSigner checks the signature chain of STREAMING-AWS4-HMAC-SHA256-*
// bodies: each chunk's signature signs the previous one, starting from
// the seed signature of the request.
type chunkSigner struct {
	key     []byte
	amzDate string
	scope   string
	prev    string // hex signature of the previous chunk (or the seed)
}

// next checks the signature of a chunk with SHA-256 sum and advances.
func (s *chunkSigner) next(sum []byte, got []byte) bool {
	sts := "AWS4-HMAC-SHA256-PAYLOAD\n" + s.amzDate + "\n" + s.scope + "\n" +
		s.prev + "\n" + emptySHA256 + "\n" + hex.EncodeToString(sum)
	return s.check(sts, got)
}

// trailer checks the signature of the trailer lines with SHA-256 sum.
func (s *chunkSigner) trailer(sum []byte, got []byte) bool {
	sts := "AWS4-HMAC-SHA256-TRAILER\n" + s.amzDate + "\n" + s.scope + "\n" +
		s.prev + "\n" + hex.EncodeToString(sum)
	return s.check(sts, got)
}

func (s *chunkSigner) check(sts string, got []byte) bool {
	want := hex.EncodeToString(hmacSHA256(s.key, sts))
	s.prev = want
	return subtle.ConstantTimeCompare([]byte(want), got) == 1
}

// chunkReader decodes an aws-chunked body, verifying chunk signatures
// (signer != nil), the decoded length and the trailer as it goes.
type chunkReader struct {
	br        *bufio.Reader
	signer    *chunkSigner
	trailers  bool         // a trailer section follows the final chunk
	trailer   *checksumAlg // the announced checksum trailer, or nil
	sum       *checksumState
	declared  int64 // x-amz-decoded-content-length, -1 if absent
	decoded   int64
	remaining int64 // data bytes left in the current chunk
	chunkSig  []byte
	h         hash.Hash
	sumBuf    [sha256.Size]byte
	err       error
}

func newChunkReader(r io.Reader, signer *chunkSigner, trailers bool, trailer *checksumAlg, sum *checksumState, declared int64) *chunkReader {
	c := &chunkReader{
		br: bufio.NewReaderSize(r, chunkBufSize), signer: signer, trailers: trailers,
		trailer: trailer, sum: sum, declared: declared,
	}
	if signer != nil {
		c.h = sha256.New()
	}
	return c
}

// Read returns decoded payload bytes; at the end it returns io.EOF only
// when every signature, the length and the checksum are right.
func (c *chunkReader) Read(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.read(p)
	if err != nil {
		c.err = err
	}
	return n, err
}

func (c *chunkReader) read(p []byte) (int, error) {
	for c.remaining == 0 {
		if err := c.nextChunk(); err != nil {
			return 0, err
		}
	}
	if len(p) == 0 {
		return 0, nil
	}
	if int64(len(p)) > c.remaining {
		p = p[:c.remaining]
	}
	n, err := c.br.Read(p)
	c.consume(p[:n])
	if c.remaining == 0 {
		return n, c.endChunk()
	}
	if err != nil {
		return n, eofIsIncomplete(err)
	}
	return n, nil
}

// consume accounts for n decoded bytes.
func (c *chunkReader) consume(b []byte) {
	c.remaining -= int64(len(b))
	c.decoded += int64(len(b))
	if c.h != nil {
		c.h.Write(b)
	}
	if c.sum != nil {
		c.sum.h.Write(b)
	}
}

// eofIsIncomplete maps a premature end of the body to ErrIncompleteBody.
func eofIsIncomplete(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("aws-chunked body ended early: %w", ErrIncompleteBody)
	}
	return err
}

// endChunk checks the signature of the chunk just read and its CRLF.
func (c *chunkReader) endChunk() error {
	if c.signer != nil && !c.signer.next(c.h.Sum(c.sumBuf[:0]), c.chunkSig) {
		return fmt.Errorf("chunk ending at byte %d: %w", c.decoded, ErrSignatureDoesNotMatch)
	}
	return c.readCRLF()
}

func (c *chunkReader) readCRLF() error {
	var b [2]byte
	if _, err := io.ReadFull(c.br, b[:]); err != nil {
		return eofIsIncomplete(err)
	}
	if b != [2]byte{'\r', '\n'} {
		return fmt.Errorf("chunk data not followed by CRLF: %w", ErrMalformedChunk)
	}
	return nil
}

// readLine reads one line of at most maxLineLen bytes without its line
// ending; lf reports that it ended in a bare "\n".
func (c *chunkReader) readLine() (line []byte, err error) {
	line, err = c.br.ReadSlice('\n')
	switch {
	case errors.Is(err, bufio.ErrBufferFull) || len(line) > maxLineLen:
		return nil, fmt.Errorf("line longer than %d bytes: %w", maxLineLen, ErrMalformedChunk)
	case err != nil:
		return nil, eofIsIncomplete(err)
	}
	line = line[:len(line)-1]
	return bytes.TrimSuffix(line, []byte{'\r'}), nil
}

// nextChunk reads a chunk header; after the final chunk it finishes the
// body and returns io.EOF or the error that ends it.
func (c *chunkReader) nextChunk() error {
	line, err := c.readLine()
	if err != nil {
		return err
	}
	size, sig, err := c.parseChunkHeader(line)
	if err != nil {
		return err
	}
	if c.declared >= 0 && c.decoded+size > c.declared {
		return fmt.Errorf("chunks exceed x-amz-decoded-content-length %d: %w", c.declared, ErrIncompleteBody)
	}
	c.chunkSig = append(c.chunkSig[:0], sig...)
	if c.h != nil {
		c.h.Reset()
	}
	if size == 0 {
		return c.finish()
	}
	c.remaining = size
	return nil
}

// parseChunkHeader parses "hex-size[;chunk-signature=sig]".
func (c *chunkReader) parseChunkHeader(line []byte) (int64, []byte, error) {
	sizeHex, ext, _ := bytes.Cut(line, []byte{';'})
	size, ok := parseHexSize(sizeHex)
	if !ok {
		return 0, nil, fmt.Errorf("chunk size %.20q: %w", sizeHex, ErrMalformedChunk)
	}
	if c.signer == nil {
		return size, nil, nil
	}
	sig, ok := bytes.CutPrefix(ext, []byte(chunkSignaturePrefix))
	if !ok || len(sig) != 2*sha256.Size {
		return 0, nil, fmt.Errorf("chunk signature missing: %w", ErrMalformedChunk)
	}
	return size, sig, nil
}

// parseHexSize parses a chunk size of at most maxChunkSize.
func parseHexSize(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 8 {
		return 0, false
	}
	var n int64
	for _, ch := range b {
		var d byte
		switch {
		case '0' <= ch && ch <= '9':
			d = ch - '0'
		case 'a' <= ch && ch <= 'f':
			d = ch - 'a' + 10
		case 'A' <= ch && ch <= 'F':
			d = ch - 'A' + 10
		default:
			return 0, false
		}
		n = n<<4 | int64(d)
	}
	return n, n <= maxChunkSize
}

// finish runs after the zero-length final chunk header.
func (c *chunkReader) finish() error {
	if c.signer != nil && !c.signer.next(c.h.Sum(c.sumBuf[:0]), c.chunkSig) {
		return fmt.Errorf("final chunk: %w", ErrSignatureDoesNotMatch)
	}
	if err := c.readEnd(); err != nil {
		return err
	}
	if c.declared >= 0 && c.decoded != c.declared {
		return fmt.Errorf("decoded %d bytes, x-amz-decoded-content-length %d: %w", c.decoded, c.declared, ErrIncompleteBody)
	}
	if c.sum != nil {
		if err := c.sum.verify(); err != nil {
			return err
		}
	}
	return io.EOF
}

// readEnd consumes what follows the final chunk: trailers, or a CRLF
// (tolerating a body that simply stops there).
func (c *chunkReader) readEnd() error {
	if c.trailers {
		return c.readTrailers()
	}
	line, err := c.readLine()
	if errors.Is(err, ErrIncompleteBody) {
		return nil
	}
	if err != nil {
		return err
	}
	if len(line) != 0 {
		return fmt.Errorf("data after the final chunk: %w", ErrMalformedChunk)
	}
	return nil
}
