package swarm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
)

// openRecord opens the bytes of a recorded object. A file object is
// returned as the *os.File itself so net/http can sendfile it.
func (s *Swarm) openRecord(ctx context.Context, id ID, rec *record) (io.ReadSeekCloser, error) {
	switch rec.kind {
	case kindFile:
		return s.openFile(id)
	case kindInline:
		b, err := s.getValue(prefixInline, id)
		if err != nil {
			return nil, err
		}
		return inlineReader{bytes.NewReader(b)}, nil
	default:
		return s.openLayout(ctx, id)
	}
}

func (s *Swarm) openFile(id ID) (*os.File, error) {
	f, err := os.Open(s.objPath(id))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	if err != nil {
		return nil, fmt.Errorf("swarm: open %s: %w", id, err)
	}
	return f, nil
}

type inlineReader struct{ *bytes.Reader }

func (inlineReader) Close() error { return nil }

// segment is one stretch of an object's bytes: an open file or inline bytes.
type segment struct {
	r    io.ReaderAt
	f    *os.File // nil for inline bytes
	size int64
}

// layout reads an object made of segments; it is safe for concurrent
// ReadAt, and Read/Seek keep one cursor.
type layout struct {
	segs   []segment
	starts []int64 // starts[i] is the object offset of segs[i]
	size   int64
	pos    int64
}

// openLayout resolves id, recursively through Concat parts, into segments.
func (s *Swarm) openLayout(ctx context.Context, id ID) (*layout, error) {
	l := &layout{}
	if err := s.appendSegments(ctx, l, id, 0); err != nil {
		l.Close()
		return nil, err
	}
	return l, nil
}

// maxDepth bounds Concat nesting, so a corrupt record cannot recurse forever.
const maxDepth = 16

func (s *Swarm) appendSegments(ctx context.Context, l *layout, id ID, depth int) error {
	if depth > maxDepth {
		return fmt.Errorf("swarm: %s: concat nested too deep", id)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	rec, err := s.record(id)
	if err != nil {
		return err
	}
	switch rec.kind {
	case kindFile:
		f, err := s.openFile(id)
		if err != nil {
			return err
		}
		l.add(segment{r: f, f: f, size: rec.size})
	case kindInline:
		b, err := s.getValue(prefixInline, id)
		if err != nil {
			return err
		}
		l.add(segment{r: bytes.NewReader(b), size: int64(len(b))})
	default:
		for _, p := range rec.parts {
			if err := s.appendSegments(ctx, l, p, depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}

func (l *layout) add(seg segment) {
	if seg.size == 0 {
		if seg.f != nil {
			seg.f.Close()
		}
		return
	}
	l.segs = append(l.segs, seg)
	l.starts = append(l.starts, l.size)
	l.size += seg.size
}

// ReadAt reads across segment boundaries.
func (l *layout) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("swarm: negative offset")
	}
	n := 0
	for len(p) > 0 && off < l.size {
		i := sort.Search(len(l.starts), func(i int) bool { return l.starts[i] > off }) - 1
		seg, segOff := l.segs[i], off-l.starts[i]
		k, err := seg.r.ReadAt(p[:min(int64(len(p)), seg.size-segOff)], segOff)
		n, off, p = n+k, off+int64(k), p[k:]
		if err != nil && !(errors.Is(err, io.EOF) && segOff+int64(k) == seg.size) {
			return n, err
		}
	}
	if len(p) > 0 {
		return n, io.EOF
	}
	return n, nil
}

// Read reads from the cursor.
func (l *layout) Read(p []byte) (int, error) {
	if l.pos >= l.size {
		return 0, io.EOF
	}
	n, err := l.ReadAt(p[:min(int64(len(p)), l.size-l.pos)], l.pos)
	l.pos += int64(n)
	return n, err
}

// Seek moves the cursor.
func (l *layout) Seek(offset int64, whence int) (int64, error) {
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
func (l *layout) Close() error {
	var errs []error
	for _, s := range l.segs {
		if s.f != nil {
			errs = append(errs, s.f.Close())
		}
	}
	l.segs = nil
	return errors.Join(errs...)
}
