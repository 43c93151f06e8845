package auth

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
)

// trailerSection collects the trailer lines of an aws-chunked body.
type trailerSection struct {
	canonical []byte // "name:value\n" per line, as signed
	value     string // the announced checksum trailer's value
	haveValue bool
	signature []byte // x-amz-trailer-signature, signed streams only
}

// readTrailers parses the trailer section, verifies its signature and
// hands the checksum value to the checksum state. Lines may end in CRLF
// or LF; a blank line ends the section, except that signed streams (as
// minio-go writes them) may put one before x-amz-trailer-signature.
func (c *chunkReader) readTrailers() error {
	var t trailerSection
	for i := 0; ; i++ {
		if i > maxTrailerLines {
			return fmt.Errorf("more than %d trailer lines: %w", maxTrailerLines, ErrMalformedChunk)
		}
		line, err := c.readLine()
		if errors.Is(err, ErrIncompleteBody) && c.signer == nil {
			break // an unsigned body may stop right after its trailers
		}
		if err != nil {
			return err
		}
		if len(line) == 0 {
			if c.signer != nil && t.signature == nil {
				continue
			}
			break
		}
		if err := c.trailerLine(&t, line); err != nil {
			return err
		}
	}
	return c.checkTrailers(&t)
}

// trailerLine records one "name:value" trailer line.
func (c *chunkReader) trailerLine(t *trailerSection, line []byte) error {
	name, value, ok := bytes.Cut(line, []byte{':'})
	if !ok {
		return fmt.Errorf("trailer line %.40q: %w", line, ErrMalformedChunk)
	}
	lname := strings.ToLower(strings.TrimSpace(string(name)))
	v := strings.TrimSpace(string(value))
	switch {
	case t.signature != nil:
		return fmt.Errorf("trailer after the trailer signature: %w", ErrMalformedChunk)
	case lname == trailerSignatureName && c.signer != nil:
		t.signature = []byte(v)
		return nil
	case c.trailer == nil || lname != c.trailer.header || t.haveValue:
		return fmt.Errorf("undeclared trailer %.40q: %w", lname, ErrMalformedChunk)
	}
	t.value, t.haveValue = v, true
	t.canonical = append(t.canonical, lname+":"+v+"\n"...)
	return nil
}

// checkTrailers verifies the trailer signature and the announced value.
func (c *chunkReader) checkTrailers(t *trailerSection) error {
	if c.signer != nil {
		if t.signature == nil {
			return fmt.Errorf("trailer signature missing: %w", ErrMalformedChunk)
		}
		sum := sha256.Sum256(t.canonical)
		if !c.signer.trailer(sum[:], t.signature) {
			return fmt.Errorf("trailer: %w", ErrSignatureDoesNotMatch)
		}
	}
	if c.trailer == nil {
		return nil
	}
	if !t.haveValue {
		return fmt.Errorf("announced trailer %s missing: %w", c.trailer.header, ErrMalformedChunk)
	}
	return c.sum.setExpected(t.value)
}
