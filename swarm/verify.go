package swarm

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha1"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"sync"
	"sync/atomic"
)

// Every stored object carries the SHA-1 of each of its pieces in its info
// dictionary, whose own hash is the object's ID. Whoever reads stored
// bytes (Open, Scrub, the engine serving a peer) checks a piece before it
// hands out a byte of it, so a disk that silently damaged a file cannot
// make this node return or serve wrong bytes: the read fails with
// ErrCorrupt instead and Config.OnCorrupt asks for a Repair.

// pieceSource reads the pieces of one stored object and checks them.
type pieceSource struct {
	s        *Swarm
	id       ID
	r        io.ReaderAt // the file, the inline bytes or the Concat layout
	size     int64
	pieceLen int64
	hashes   []byte // the info dictionary's "pieces": 20 bytes per piece
}

// openSource opens a recorded object's bytes for verified reading;
// closing it closes the files it opened.
func (s *Swarm) openSource(ctx context.Context, id ID, rec *record) (*pieceSource, io.Closer, error) {
	hashes, err := s.pieceHashes(id, rec)
	if err != nil {
		return nil, nil, err
	}
	ps := &pieceSource{s: s, id: id, size: rec.size, pieceLen: rec.pieceLen, hashes: hashes}
	switch rec.kind {
	case kindFile:
		f, err := s.openFile(id)
		if err != nil {
			return nil, nil, err
		}
		ps.r = f
		return ps, f, nil
	case kindInline:
		b, err := s.getValue(prefixInline, id)
		if err != nil {
			return nil, nil, err
		}
		ps.r = bytes.NewReader(b)
		return ps, io.NopCloser(nil), nil
	default:
		l, err := s.openLayout(ctx, id)
		if err != nil {
			return nil, nil, err
		}
		ps.r = l
		return ps, l, nil
	}
}

// pieceStart returns the offset of the piece holding byte off.
func (ps *pieceSource) pieceStart(off int64) int64 { return off - off%ps.pieceLen }

// load reads n bytes from off, a piece boundary, into a pooled buffer
// and checks them: whole pieces, the last one short only at the end of
// the object. The span holds the verified pieces; its err says why the
// piece after them is not served.
func (ps *pieceSource) load(off, n int64) span {
	buf := getBuf(n)
	b := (*buf)[:n]
	k, rerr := ps.r.ReadAt(b, off)
	good, err := ps.check(b[:k], off)
	if err == nil && good < len(b) {
		// A ReaderAt may report io.EOF with the last byte: only a short
		// read is an error.
		err = ps.readErr(off+int64(good), cmp.Or(rerr, io.ErrUnexpectedEOF))
	}
	return span{off: off, b: b[:good], err: err, buf: buf}
}

// readErr explains a read that stopped before the end of the recorded
// size: a file shorter than its record lost the piece at off, anything
// else is an I/O error of this read.
func (ps *pieceSource) readErr(off int64, err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return ps.corrupt(off/ps.pieceLen, "truncated")
	}
	return fmt.Errorf("swarm: read %s piece %d: %w", ps.id, off/ps.pieceLen, err)
}

// check verifies the pieces of b, bytes of the object from off (a piece
// boundary), and returns how many bytes of whole verified pieces lead b.
// A trailing piece that b holds only part of is left unchecked, without
// error (load reports the short read); a damaged piece ends the check
// with an error wrapping ErrCorrupt.
func (ps *pieceSource) check(b []byte, off int64) (int, error) {
	n := 0
	for n < len(b) && off+int64(n) < ps.size {
		i := (off + int64(n)) / ps.pieceLen
		end := n + int(min(ps.pieceLen, ps.size-i*ps.pieceLen))
		if end > len(b) {
			return n, nil
		}
		h := ps.hashes[i*sha1.Size : (i+1)*sha1.Size]
		if sum := sha1.Sum(b[n:end]); !bytes.Equal(sum[:], h) {
			return n, ps.corrupt(i, "SHA-1 mismatch")
		}
		n = end
	}
	return n, nil
}

// corrupt reports damaged piece i and returns the error naming it.
func (ps *pieceSource) corrupt(i int64, why string) error {
	err := corruptErr(ps.id, i, ps.pieceLen, why)
	ps.s.reportCorrupt(ps.id, err)
	return err
}

// corruptErr names a damaged piece of an object.
func corruptErr(id ID, i, pieceLen int64, why string) error {
	return fmt.Errorf("%w: %s piece %d (from byte %d): %s", ErrCorrupt, id, i, i*pieceLen, why)
}

// span is verified bytes of an object, held in a pooled buffer.
type span struct {
	off int64
	b   []byte  // the verified bytes from off
	err error   // why the piece at off+len(b) is not served; nil if unknown
	buf *[]byte // the pooled buffer behind b
}

func (sp *span) end() int64 { return sp.off + int64(len(sp.b)) }

// has reports whether the span holds byte off.
func (sp *span) has(off int64) bool { return off >= sp.off && off < sp.end() }

// stoppedAt reports whether the span ended at the damaged piece that
// starts at off: a read there fails again without reading it again (an
// I/O error is retried).
func (sp *span) stoppedAt(off int64) bool {
	return off == sp.end() && errors.Is(sp.err, ErrCorrupt)
}

// release returns the buffer to its pool and empties the span.
func (sp *span) release() {
	if sp.buf != nil {
		putBuf(sp.buf)
	}
	*sp = span{}
}

// Buffers come from one pool per power of two from 16 KiB (the smallest
// piece) to 16 MiB (the largest span), so a reader neither allocates
// megabytes per GET nor pins a large buffer for a small object.
const (
	minBufShift = 14
	maxBufShift = 24
)

var bufPools [maxBufShift - minBufShift + 1]sync.Pool

// bufClass returns the pool index for an n-byte buffer.
func bufClass(n int64) int {
	return max(bits.Len64(uint64(max(n, 1)-1)), minBufShift) - minBufShift
}

// getBuf returns a buffer of at least n bytes (n ≤ 16 MiB).
func getBuf(n int64) *[]byte {
	c := bufClass(n)
	if b, ok := bufPools[c].Get().(*[]byte); ok {
		return b
	}
	b := make([]byte, 1<<(c+minBufShift))
	return &b
}

func putBuf(b *[]byte) {
	*b = (*b)[:cap(*b)]
	bufPools[bufClass(int64(len(*b)))].Put(b)
}

// A sequential reader (a GET) would otherwise wait for each span to be
// read and hashed before copying it out, using one core for both. Once a
// reader reads on past the span it loaded, a read-ahead hands the next
// spans to aheadWorkers goroutines that read and hash them in parallel,
// and the reader takes them in order. It runs at most aheadBytes (or two
// pieces, if larger) ahead, but starts only aheadStart spans ahead and
// goes one further per span taken, so that a short range read does not
// read and hash megabytes it will not send. Two workers: SHA-1 (~1.9
// GB/s a core here) is most of a verified GET's CPU, and with one hashing
// goroutine the S3 GET of 256 MiB on the idle 2-core target ran at
// 890–1640 MB/s (median ~1280) against 1220–1980 (median ~1660) with
// two, interleaved runs.
const (
	spanMin      = 1 << 20 // bytes per read-ahead span, whole pieces
	aheadBytes   = 8 << 20
	aheadWorkers = 2
	aheadStart   = 2
)

// spanLen is how many bytes one read-ahead span loads.
func (ps *pieceSource) spanLen() int64 { return max(ps.pieceLen, spanMin) }

// readAhead loads the spans after a reader's position in the background.
type readAhead struct {
	spans   chan *pendingSpan // in object order
	credits chan struct{}     // a span may be dispatched per credit
	issued  int               // credits in circulation
	depth   int               // the most credits
	stop    chan struct{}
	wg      sync.WaitGroup
}

// pendingSpan is a span being loaded; done closes when sp is set.
type pendingSpan struct {
	off  int64
	sp   span
	done chan struct{}
}

// startReadAhead loads the spans of ps from off on until stopped, the
// end of the object, or the first damaged piece.
func startReadAhead(ps *pieceSource, off int64) *readAhead {
	depth := int(max(aheadBytes, 2*ps.pieceLen) / ps.spanLen())
	ra := &readAhead{
		spans:   make(chan *pendingSpan, depth),
		credits: make(chan struct{}, depth),
		issued:  min(aheadStart, depth),
		depth:   depth,
		stop:    make(chan struct{}),
	}
	for range ra.issued {
		ra.credits <- struct{}{}
	}
	jobs := make(chan *pendingSpan)
	var failed atomic.Bool
	ra.wg.Go(func() {
		defer close(jobs)
		ra.dispatch(ps, off, jobs, &failed)
	})
	for range aheadWorkers {
		ra.wg.Go(func() {
			for pd := range jobs {
				pd.sp = ps.load(pd.off, min(ps.spanLen(), ps.size-pd.off))
				if pd.sp.err != nil {
					failed.Store(true)
				}
				close(pd.done)
			}
		})
	}
	return ra
}

// dispatch queues the spans from off in order, one per credit.
func (ra *readAhead) dispatch(ps *pieceSource, off int64, jobs chan<- *pendingSpan, failed *atomic.Bool) {
	for ; off < ps.size && !failed.Load(); off += ps.spanLen() {
		select {
		case <-ra.credits:
		case <-ra.stop:
			return
		}
		pd := &pendingSpan{off: off, done: make(chan struct{})}
		ra.spans <- pd // never blocks: there is room for every credit
		select {
		case jobs <- pd:
		case <-ra.stop:
			return
		}
	}
	close(ra.spans)
}

// next waits for the next span in order; false once there are no more.
func (ra *readAhead) next() (span, bool) {
	pd, ok := <-ra.spans
	if !ok {
		return span{}, false
	}
	<-pd.done
	ra.credits <- struct{}{}
	if ra.issued < ra.depth {
		ra.issued++
		ra.credits <- struct{}{}
	}
	return pd.sp, true
}

// close stops the read-ahead, waits for its goroutines and returns the
// buffers of the spans not taken.
func (ra *readAhead) close() {
	close(ra.stop)
	ra.wg.Wait()
	for {
		select {
		case pd, ok := <-ra.spans:
			if !ok {
				return
			}
			select {
			case <-pd.done:
				pd.sp.release()
			default: // never handed to a worker
			}
		default:
			return
		}
	}
}

// checkAll verifies b as the whole object.
func (ps *pieceSource) checkAll(b []byte) error {
	n, err := ps.check(b, 0)
	if err == nil && (n != len(b) || int64(n) != ps.size) {
		i := min(int64(n), max(ps.size-1, 0)) / ps.pieceLen
		err = ps.corrupt(i, fmt.Sprintf("%d bytes stored, %d recorded", len(b), ps.size))
	}
	return err
}
