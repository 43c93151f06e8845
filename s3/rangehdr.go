package s3

import (
	"errors"
	"strconv"
	"strings"
)

// byteRange is one parsed byte-range-spec (RFC 9110 14.1.2).
type byteRange struct {
	first, last int64 // last is -1 for an open range "first-"
	suffix      int64 // > -1 for a suffix range "-suffix"
}

// parseRange parses a Range header into a single byte range. ok is false
// when the header must be ignored and the whole object sent: absent, not
// bytes, syntactically invalid, or several ranges (S3 serves no multipart
// byteranges and answers those with the whole object).
func parseRange(h string) (r byteRange, ok bool) {
	spec, found := strings.CutPrefix(strings.TrimSpace(h), "bytes=")
	if !found || strings.Contains(spec, ",") {
		return byteRange{}, false
	}
	a, b, found := strings.Cut(strings.TrimSpace(spec), "-")
	if !found {
		return byteRange{}, false
	}
	a, b = strings.TrimSpace(a), strings.TrimSpace(b)
	if a == "" {
		n, ok := parseDigits(b)
		return byteRange{first: -1, last: -1, suffix: n}, ok
	}
	first, ok := parseDigits(a)
	if !ok {
		return byteRange{}, false
	}
	if b == "" {
		return byteRange{first: first, last: -1, suffix: -1}, true
	}
	last, ok := parseDigits(b)
	if !ok || last < first {
		return byteRange{}, false
	}
	return byteRange{first: first, last: last, suffix: -1}, true
}

// parseDigits parses a non-empty run of ASCII digits that fits an int64.
func parseDigits(s string) (int64, bool) {
	if s == "" || strings.TrimLeft(s, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

// resolve returns the offset and length r selects in an object of size
// bytes, or a *rangeError (ErrInvalidRange) when it is unsatisfiable.
func (r byteRange) resolve(size int64) (start, length int64, err error) {
	if r.suffix >= 0 {
		if r.suffix == 0 || size == 0 {
			return 0, 0, &rangeError{size: size}
		}
		n := min(r.suffix, size)
		return size - n, n, nil
	}
	if r.first >= size {
		return 0, 0, &rangeError{size: size}
	}
	last := size - 1
	if r.last >= 0 && r.last < last {
		last = r.last
	}
	return r.first, last - r.first + 1, nil
}

// rangeError is ErrInvalidRange carrying the object size for the
// Content-Range: bytes */size header of the 416 response.
type rangeError struct{ size int64 }

func (e *rangeError) Error() string { return ErrInvalidRange.Error() }
func (e *rangeError) Unwrap() error { return ErrInvalidRange }

// rangeSize returns the object size an InvalidRange error carries.
func rangeSize(err error) (int64, bool) {
	var re *rangeError
	if errors.As(err, &re) {
		return re.size, true
	}
	return 0, false
}
