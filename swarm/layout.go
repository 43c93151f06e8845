package swarm

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"sync"

	"github.com/dgraph-io/badger/v4"
)

// openRecord opens the bytes of a recorded object behind a reader that
// returns only bytes of pieces whose SHA-1 matched (verifiedReader). An
// inline object is checked whole here: it is one small piece.
func (s *Swarm) openRecord(ctx context.Context, id ID, rec *record) (io.ReadSeekCloser, error) {
	if rec.kind == kindInline {
		return s.openInline(id, rec)
	}
	ps, c, err := s.openSource(ctx, id, rec)
	if err != nil {
		return nil, err
	}
	return &verifiedReader{src: ps, c: c}, nil
}

// openInline reads and checks an inline object.
func (s *Swarm) openInline(id ID, rec *record) (io.ReadSeekCloser, error) {
	var info, b []byte
	err := s.db.View(func(txn *badger.Txn) error {
		var err error
		if info, err = valueCopy(txn, prefixInfo, id); err == nil {
			b, err = valueCopy(txn, prefixInline, id)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	hashes, err := s.infoPieces(id, rec, info)
	if err != nil {
		return nil, err
	}
	ps := &pieceSource{s: s, id: id, size: rec.size, pieceLen: rec.pieceLen, hashes: hashes}
	if err := ps.checkAll(b); err != nil {
		return nil, err
	}
	return inlineReader{bytes.NewReader(b)}, nil
}

// valueCopy reads a whole value in txn. ErrNotFound.
func valueCopy(txn *badger.Txn, prefix string, id ID) ([]byte, error) {
	item, err := txn.Get(key(prefix, id))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	if err != nil {
		return nil, fmt.Errorf("swarm: read %s: %w", id, err)
	}
	return item.ValueCopy(nil)
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

// verifiedReader reads a stored object, file or Concat, one verified
// span at a time: it serves bytes only from pieces whose SHA-1 matched,
// and a damaged piece fails the read that reaches it (ErrCorrupt, the
// bytes before it served). A Seek or ReadAt loads just the pieces it
// needs; reading on past a loaded span starts a read-ahead (readAhead)
// that Seek and Close stop. ReadAt keeps its own span, so it does not
// disturb the cursor, and is safe for concurrent use.
type verifiedReader struct {
	src *pieceSource
	c   io.Closer

	mu     sync.Mutex
	pos    int64
	cur    span       // the cursor's span
	at     span       // ReadAt's span
	ahead  *readAhead // nil until the cursor reads on sequentially
	closed bool
}

// Read reads verified bytes from the cursor.
func (r *verifiedReader) Read(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return 0, r.closedErr()
	}
	if r.pos >= r.src.size {
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
	n := copy(p, r.cur.b[r.pos-r.cur.off:])
	r.pos += int64(n)
	return n, nil
}

// advance replaces the cursor's span with one holding r.pos: the next
// span of the read-ahead, or one loaded here.
func (r *verifiedReader) advance(want int) error {
	start := r.src.pieceStart(r.pos)
	if r.cur.stoppedAt(start) {
		return r.cur.err
	}
	sequential := r.cur.buf != nil && r.pos == r.cur.end()
	r.cur.release()
	if r.ahead != nil {
		sp, ok := r.ahead.next()
		if ok && sp.off == start {
			r.cur = sp
			return r.curErr()
		}
		sp.release() // not where the cursor is: start over from there
		r.stopAhead()
	}
	if sequential && r.src.size-start > r.src.spanLen() {
		r.ahead = startReadAhead(r.src, start)
		r.cur, _ = r.ahead.next()
		return r.curErr()
	}
	r.cur = r.src.load(start, r.loadLen(start, r.pos, want, sequential))
	return r.curErr()
}

// loadLen is how much to load from start, a piece boundary, for a read
// of want bytes at pos: the pieces it covers, or the rest of the object
// when reading on, within one span.
func (r *verifiedReader) loadLen(start, pos int64, want int, sequential bool) int64 {
	end := r.src.size
	if !sequential {
		end = min(end, r.src.pieceStart(pos+int64(want)-1)+r.src.pieceLen)
	}
	return min(end, start+r.src.spanLen()) - start
}

// curErr explains a span that does not hold r.pos: its first piece is
// damaged or could not be read.
func (r *verifiedReader) curErr() error {
	if r.cur.has(r.pos) {
		return nil
	}
	if r.cur.err != nil {
		return r.cur.err
	}
	return fmt.Errorf("swarm: read %s at %d: no bytes loaded", r.src.id, r.pos)
}

func (r *verifiedReader) stopAhead() {
	if r.ahead != nil {
		r.ahead.close()
		r.ahead = nil
	}
}

// Seek moves the cursor; a move out of the loaded span stops the
// read-ahead.
func (r *verifiedReader) Seek(offset int64, whence int) (int64, error) {
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
		offset += r.src.size
	default:
		return 0, fmt.Errorf("swarm: bad whence %d", whence)
	}
	if offset < 0 {
		return 0, fmt.Errorf("swarm: negative position")
	}
	if offset != r.pos && !r.cur.has(offset) && offset != r.cur.end() {
		r.stopAhead()
	}
	r.pos = offset
	return offset, nil
}

// ReadAt reads verified bytes at off, leaving the cursor alone.
func (r *verifiedReader) ReadAt(p []byte, off int64) (int, error) {
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
		if o >= r.src.size {
			return n, io.EOF
		}
		sp, err := r.spanAt(o, len(p)-n)
		if err != nil {
			return n, err
		}
		n += copy(p[n:], sp.b[o-sp.off:])
	}
	return n, nil
}

// spanAt returns a span holding byte o: the cursor's if it does, else
// ReadAt's own, loaded for a read of want bytes.
func (r *verifiedReader) spanAt(o int64, want int) (*span, error) {
	if r.cur.has(o) {
		return &r.cur, nil
	}
	if !r.at.has(o) {
		start := r.src.pieceStart(o)
		if r.at.stoppedAt(start) {
			return nil, r.at.err
		}
		r.at.release()
		r.at = r.src.load(start, r.loadLen(start, o, want, false))
		if !r.at.has(o) {
			return nil, cmp.Or(r.at.err, fmt.Errorf("swarm: read %s at %d: no bytes loaded", r.src.id, o))
		}
	}
	return &r.at, nil
}

// Close stops the read-ahead and closes the object's files.
func (r *verifiedReader) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil
	}
	r.closed = true
	r.stopAhead()
	r.cur.release()
	r.at.release()
	return r.c.Close()
}

func (r *verifiedReader) closedErr() error {
	return fmt.Errorf("swarm: read %s: %w", r.src.id, os.ErrClosed)
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
