package verified

import (
	"cmp"
	"fmt"
	"io"
	"os"
	"sync"
)

// Reader reads a stored object, file or Concat, one verified
// span at a time: it serves bytes only from pieces whose SHA-1 matched,
// and a damaged piece fails the read that reaches it (ErrCorrupt, the
// bytes before it served). A Seek or ReadAt loads just the pieces it
// needs; reading on past a loaded span starts a read-ahead (readAhead)
// that Seek and Close stop. ReadAt keeps its own span, so it does not
// disturb the cursor, and is safe for concurrent use.
type Reader struct {
	src *Source
	c   io.Closer

	mu     sync.Mutex
	pos    int64
	cur    Span       // the cursor's span
	at     Span       // ReadAt's span
	ahead  *readAhead // nil until the cursor reads on sequentially
	closed bool
}

// NewReader reads src's object; Close closes c, the files behind src.
func NewReader(src *Source, c io.Closer) *Reader { return &Reader{src: src, c: c} }

// Read reads verified bytes from the cursor.
func (r *Reader) Read(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return 0, r.closedErr()
	}
	if r.pos >= r.src.Size {
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	if !r.cur.has(r.pos) {
		if err := r.advance(len(p)); err != nil {
			return 0, err
		}
	}
	n := copy(p, r.cur.B[r.pos-r.cur.Off:])
	r.pos += int64(n)
	return n, nil
}

// advance replaces the cursor's span with one holding r.pos: the next
// span of the read-ahead, or one loaded here.
func (r *Reader) advance(want int) error {
	start := r.src.PieceStart(r.pos)
	if r.cur.stoppedAt(start) {
		return r.cur.Err
	}
	sequential := r.cur.buf != nil && r.pos == r.cur.End()
	r.cur.Release()
	if r.ahead != nil {
		sp, ok := r.ahead.next()
		if ok && sp.Off == start {
			r.cur = sp
			return r.curErr()
		}
		sp.Release() // not where the cursor is: start over from there
		r.stopAhead()
	}
	if sequential && r.src.Size-start > r.src.SpanLen() {
		r.ahead = startReadAhead(r.src, start)
		r.cur, _ = r.ahead.next()
		return r.curErr()
	}
	r.cur = r.src.Load(start, r.loadLen(start, r.pos, want, sequential))
	return r.curErr()
}

// loadLen is how much to load from start, a piece boundary, for a read
// of want bytes at pos: the pieces it covers, or the rest of the object
// when reading on, within one span.
func (r *Reader) loadLen(start, pos int64, want int, sequential bool) int64 {
	end := r.src.Size
	if !sequential {
		end = min(end, r.src.PieceStart(pos+int64(want)-1)+r.src.PieceLen)
	}
	return min(end, start+r.src.SpanLen()) - start
}

// curErr explains a span that does not hold r.pos: its first piece is
// damaged or could not be read.
func (r *Reader) curErr() error {
	if r.cur.has(r.pos) {
		return nil
	}
	if r.cur.Err != nil {
		return r.cur.Err
	}
	return fmt.Errorf("swarm: read %s at %d: no bytes loaded", r.src.name(), r.pos)
}

func (r *Reader) stopAhead() {
	if r.ahead != nil {
		r.ahead.close()
		r.ahead = nil
	}
}

// Seek moves the cursor; a move out of the loaded span stops the
// read-ahead.
func (r *Reader) Seek(offset int64, whence int) (int64, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return 0, r.closedErr()
	}
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += r.pos
	case io.SeekEnd:
		offset += r.src.Size
	default:
		return 0, fmt.Errorf("swarm: bad whence %d", whence)
	}
	if offset < 0 {
		return 0, fmt.Errorf("swarm: negative position")
	}
	if offset != r.pos && !r.cur.has(offset) && offset != r.cur.End() {
		r.stopAhead()
	}
	r.pos = offset
	return offset, nil
}

// ReadAt reads verified bytes at off, leaving the cursor alone.
func (r *Reader) ReadAt(p []byte, off int64) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return 0, r.closedErr()
	}
	if off < 0 {
		return 0, fmt.Errorf("swarm: negative offset")
	}
	n := 0
	for n < len(p) {
		o := off + int64(n)
		if o >= r.src.Size {
			return n, io.EOF
		}
		sp, err := r.spanAt(o, len(p)-n)
		if err != nil {
			return n, err
		}
		n += copy(p[n:], sp.B[o-sp.Off:])
	}
	return n, nil
}

// spanAt returns a span holding byte o: the cursor's if it does, else
// ReadAt's own, loaded for a read of want bytes.
func (r *Reader) spanAt(o int64, want int) (*Span, error) {
	if r.cur.has(o) {
		return &r.cur, nil
	}
	if !r.at.has(o) {
		start := r.src.PieceStart(o)
		if r.at.stoppedAt(start) {
			return nil, r.at.Err
		}
		r.at.Release()
		r.at = r.src.Load(start, r.loadLen(start, o, want, false))
		if !r.at.has(o) {
			return nil, cmp.Or(r.at.Err, fmt.Errorf("swarm: read %s at %d: no bytes loaded", r.src.name(), o))
		}
	}
	return &r.at, nil
}

// Close stops the read-ahead and closes the object's files.
func (r *Reader) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil
	}
	r.closed = true
	r.stopAhead()
	r.cur.Release()
	r.at.Release()
	return r.c.Close()
}

func (r *Reader) closedErr() error {
	return fmt.Errorf("swarm: read %s: %w", r.src.name(), os.ErrClosed)
}
