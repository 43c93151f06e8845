package layout

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
)

// Segment is one stretch of an object's bytes: an open file or inline
// bytes.
type Segment struct {
	R    io.ReaderAt
	F    *os.File // nil for inline bytes; closed by Close
	Size int64
}

// Reader reads an object made of segments; it is safe for concurrent
// ReadAt, and Read/Seek keep one cursor. The zero value is an empty
// object.
type Reader struct {
	segs   []Segment
	starts []int64 // starts[i] is the object offset of segs[i]
	size   int64
	pos    int64
}

// Add appends seg to the object; an empty segment's file is closed at once.
func (l *Reader) Add(seg Segment) {
	if seg.Size == 0 {
		if seg.F != nil {
			seg.F.Close()
		}
		return
	}
	l.segs = append(l.segs, seg)
	l.starts = append(l.starts, l.size)
	l.size += seg.Size
}

// Size returns the object's size: the sum of its segments'.
func (l *Reader) Size() int64 { return l.size }

// ReadAt reads across segment boundaries.
func (l *Reader) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("swarm: negative offset")
	}
	n := 0
	for len(p) > 0 && off < l.size {
		i := sort.Search(len(l.starts), func(i int) bool { return l.starts[i] > off }) - 1
		seg, segOff := l.segs[i], off-l.starts[i]
		k, err := seg.R.ReadAt(p[:min(int64(len(p)), seg.Size-segOff)], segOff)
		n, off, p = n+k, off+int64(k), p[k:]
		if err != nil && !(errors.Is(err, io.EOF) && segOff+int64(k) == seg.Size) {
			return n, err
		}
	}
	if len(p) > 0 {
		return n, io.EOF
	}
	return n, nil
}

// Read reads from the cursor.
func (l *Reader) Read(p []byte) (int, error) {
	if l.pos >= l.size {
		return 0, io.EOF
	}
	n, err := l.ReadAt(p[:min(int64(len(p)), l.size-l.pos)], l.pos)
	l.pos += int64(n)
	return n, err
}

// Seek moves the cursor.
func (l *Reader) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += l.pos
	case io.SeekEnd:
		offset += l.size
	default:
		return 0, fmt.Errorf("swarm: bad whence %d", whence)
	}
	if offset < 0 {
		return 0, fmt.Errorf("swarm: negative position")
	}
	l.pos = offset
	return offset, nil
}

// Close closes the part files.
func (l *Reader) Close() error {
	var errs []error
	for _, s := range l.segs {
		if s.F != nil {
			errs = append(errs, s.F.Close())
		}
	}
	l.segs = nil
	return errors.Join(errs...)
}
