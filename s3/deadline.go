package s3

import (
	"errors"
	"io"
	"net/http"
	"os"
	"time"
)

// deadlineBody wraps a request body so that a client that stops sending is
// cut off: reads move the connection's read deadline idle (by default
// bodyIdleTimeout) into the future, at most once a second to keep reads
// cheap, and a read that hits the deadline fails with ErrRequestTimeout. Nothing is read
// until a handler reads, which happens only after authentication.
type deadlineBody struct {
	body     io.ReadCloser
	rc       *http.ResponseController
	idle     time.Duration
	extended time.Time
	n        int64 // bytes read, for the access log
	sawEOF   bool
}

func newDeadlineBody(body io.ReadCloser, rc *http.ResponseController, idle time.Duration) *deadlineBody {
	return &deadlineBody{body: body, rc: rc, idle: idle}
}

func (b *deadlineBody) Read(p []byte) (int, error) {
	if now := time.Now(); now.Sub(b.extended) > min(time.Second, b.idle/4) {
		b.extended = now
		// ErrNotSupported (no connection behind the writer) leaves reads
		// without a deadline, as net/http would.
		b.rc.SetReadDeadline(now.Add(b.idle))
	}
	n, err := b.body.Read(p)
	b.n += int64(n)
	switch {
	case err == io.EOF:
		// The body is done; net/http's background read that watches for
		// a closed connection must not trip over our deadline while the
		// store works.
		b.sawEOF = true
		b.clear()
	case err != nil && errors.Is(err, os.ErrDeadlineExceeded):
		return n, ErrRequestTimeout
	}
	return n, err
}

// finish bounds what net/http may still read of an unread body after the
// handler (it drains up to 256 KiB to keep the connection) by one idle
// period, so a client cannot hold the connection by never sending.
func (b *deadlineBody) finish() {
	if !b.sawEOF {
		b.rc.SetReadDeadline(time.Now().Add(b.idle))
	}
}

// clear removes the read deadline if Read set one.
func (b *deadlineBody) clear() {
	if !b.extended.IsZero() {
		b.rc.SetReadDeadline(time.Time{})
		b.extended = time.Time{}
	}
}

func (b *deadlineBody) Close() error { return b.body.Close() }
