package verified

import (
	"sync"
	"sync/atomic"
)

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

// SpanLen is how many bytes one read-ahead span loads: a caller reading
// on its own (a scrub) loads spans of this size too.
func (ps *Source) SpanLen() int64 { return max(ps.PieceLen, spanMin) }

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
	sp   Span
	done chan struct{}
}

// startReadAhead loads the spans of ps from off on until stopped, the
// end of the object, or the first damaged piece.
func startReadAhead(ps *Source, off int64) *readAhead {
	depth := int(max(aheadBytes, 2*ps.PieceLen) / ps.SpanLen())
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
				pd.sp = ps.Load(pd.off, min(ps.SpanLen(), ps.Size-pd.off))
				if pd.sp.Err != nil {
					failed.Store(true)
				}
				close(pd.done)
			}
		})
	}
	return ra
}

// dispatch queues the spans from off in order, one per credit.
func (ra *readAhead) dispatch(ps *Source, off int64, jobs chan<- *pendingSpan, failed *atomic.Bool) {
	for ; off < ps.Size && !failed.Load(); off += ps.SpanLen() {
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
func (ra *readAhead) next() (Span, bool) {
	pd, ok := <-ra.spans
	if !ok {
		return Span{}, false
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
				pd.sp.Release()
			default: // never handed to a worker
			}
		default:
			return
		}
	}
}
