package onepass

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"unsafe"
)

// The pipeline reads an object once into ChunkSize buffers and hands each
// buffer to four goroutines at once: the file writer, MD5, SHA-256 and the
// SHA-1 piece hasher. Each hash is sequential, so one goroutine per hash is
// the most parallelism a single stream has; with nChunks buffers in flight
// the reader keeps filling while the slowest consumer (MD5) catches up.
const (
	// ChunkSize is the size of one pipeline buffer.
	ChunkSize = 1 << 20
	nChunks   = 8
)

// chunkPool holds chunk buffers aligned to directAlign, as O_DIRECT needs.
var chunkPool = sync.Pool{New: func() any { b := alignedBuf(ChunkSize); return &b }}

// alignedBuf returns n bytes whose address is a multiple of directAlign.
func alignedBuf(n int) []byte {
	b := make([]byte, n+directAlign)
	off := int(uintptr(unsafe.Pointer(&b[0])) & (directAlign - 1))
	if off != 0 {
		off = directAlign - off
	}
	return b[off : off+n : off+n]
}

// chunk is one filled buffer shared by the consumers; the last one to
// finish with it returns it to the free list.
type chunk struct {
	buf     *[]byte
	n       int
	pending atomic.Int32
}

// consumer processes chunks in order; the first error sticks.
type consumer struct {
	in  chan *chunk
	fn  func([]byte) error
	err error
}

// pipe runs one pass over size bytes of r.
type pipe struct {
	free      chan *chunk
	consumers []*consumer
	wg        sync.WaitGroup
	firstErr  atomic.Pointer[error]
}

func newPipe(fns ...func([]byte) error) *pipe {
	p := &pipe{free: make(chan *chunk, nChunks)}
	for range nChunks {
		p.free <- &chunk{buf: chunkPool.Get().(*[]byte)}
	}
	for _, fn := range fns {
		c := &consumer{in: make(chan *chunk, nChunks), fn: fn}
		p.consumers = append(p.consumers, c)
		p.wg.Go(func() { p.consume(c) })
	}
	return p
}

func (p *pipe) consume(c *consumer) {
	for ch := range c.in {
		if c.err == nil {
			if c.err = c.fn((*ch.buf)[:ch.n]); c.err != nil {
				p.firstErr.CompareAndSwap(nil, &c.err)
			}
		}
		if ch.pending.Add(-1) == 0 {
			p.free <- ch
		}
	}
}

// run feeds exactly size bytes of r to the consumers, then checks that r
// has nothing more. ErrSizeMismatch if r is shorter or longer.
func (p *pipe) run(ctx context.Context, r io.Reader, size int64) error {
	err := p.feed(ctx, r, size)
	for _, c := range p.consumers {
		close(c.in)
	}
	p.wg.Wait()
	close(p.free)
	for ch := range p.free {
		chunkPool.Put(ch.buf)
	}
	for _, c := range p.consumers {
		if err == nil {
			err = c.err
		}
	}
	return err
}

func (p *pipe) feed(ctx context.Context, r io.Reader, size int64) error {
	for left := size; left > 0; {
		if err := ctx.Err(); err != nil {
			return context.Cause(ctx)
		}
		var ch *chunk
		select {
		case ch = <-p.free:
		case <-ctx.Done():
			return context.Cause(ctx)
		}
		if err := p.failed(); err != nil {
			return err
		}
		n, err := io.ReadFull(r, (*ch.buf)[:min(left, ChunkSize)])
		if err != nil {
			return ReadErr(err)
		}
		ch.n, left = n, left-int64(n)
		ch.pending.Store(int32(len(p.consumers)))
		for _, c := range p.consumers {
			c.in <- ch
		}
	}
	return ExpectEOF(r)
}

// failed reports a consumer's error early so a failing disk stops the read.
func (p *pipe) failed() error {
	if e := p.firstErr.Load(); e != nil {
		return *e
	}
	return nil
}

// ReadErr maps a short read to ErrSizeMismatch and keeps r's own errors.
func ReadErr(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return ErrSizeMismatch
	}
	return fmt.Errorf("swarm: read: %w", err)
}

// ExpectEOF fails with ErrSizeMismatch if r has bytes beyond the
// declared size.
func ExpectEOF(r io.Reader) error {
	var b [1]byte
	for {
		n, err := r.Read(b[:])
		if n > 0 {
			return ErrSizeMismatch
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("swarm: read: %w", err)
		}
	}
}

// Run reads size bytes of r once, writing them with write if it is not
// nil and computing every digest concurrently, pieces of pieceLen bytes;
// MD5 only if withMD5. ErrSizeMismatch if r is shorter or longer, else
// r's, write's or ctx's error.
func Run(ctx context.Context, r io.Reader, size, pieceLen int64, withMD5 bool, write func([]byte) error) (Digests, error) {
	m, s2 := md5.New(), sha256.New()
	ph := newPieceHasher(size, pieceLen)
	fns := []func([]byte) error{
		func(b []byte) error { s2.Write(b); return nil },
		func(b []byte) error { ph.Write(b); return nil },
	}
	if withMD5 {
		fns = append(fns, func(b []byte) error { m.Write(b); return nil })
	}
	if write != nil {
		fns = append(fns, write)
	}
	if err := newPipe(fns...).run(ctx, r, size); err != nil {
		return Digests{}, err
	}
	var d Digests
	if withMD5 {
		m.Sum(d.MD5[:0])
	}
	s2.Sum(d.SHA256[:0])
	d.Pieces = ph.Sum()
	return d, nil
}
