package s3

import (
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/d3s/d3s/s3/auth"
)

// Options configures a Server.
type Options struct {
	// Domain enables virtual-hosted-style requests: a request whose Host is
	// bucket.Domain addresses bucket. Empty means path style only.
	Domain string
	// Logger receives the access log and internal errors; nil discards.
	Logger *slog.Logger
	// Region is reported by GetBucketLocation and HeadBucket; "" means
	// us-east-1.
	Region string
}

// Server is the S3 REST front end: an http.Handler that authenticates every
// request, routes it to an operation and renders S3 responses and errors
// over an ObjectStore.
type Server struct {
	store    ObjectStore
	verifier *auth.Verifier
	log      *slog.Logger
	domain   string
	region   string
	ids      *idSource
	// bodyIdle is how long a body read may wait for a byte
	// (bodyIdleTimeout; tests shorten it).
	bodyIdle time.Duration
}

// NewServer returns a Server serving store to the users in creds.
func NewServer(store ObjectStore, creds Credentials, opts Options) *Server {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if opts.Region == "" {
		opts.Region = "us-east-1"
	}
	return &Server{
		store:    store,
		verifier: auth.New(credsAdapter{creds}, auth.Options{Domain: opts.Domain}),
		log:      log.With("component", "s3"),
		domain:   opts.Domain,
		region:   opts.Region,
		ids:      newIDSource(),
		bodyIdle: bodyIdleTimeout,
	}
}

// Timeouts and limits of the HTTP server returned by HTTPServer.
const (
	readHeaderTimeout = 20 * time.Second
	idleTimeout       = 120 * time.Second
	// bodyIdleTimeout cuts off a client that sends no body byte for this
	// long (RequestTimeout); writeIdleTimeout one that reads none.
	bodyIdleTimeout  = 60 * time.Second
	writeIdleTimeout = 60 * time.Second
	// maxHeaderBytes leaves room for long presigned URLs and metadata.
	maxHeaderBytes = 64 << 10
)

// HTTPServer returns an *http.Server serving s on addr with timeouts that
// protect against slow and oversized requests. There is no whole-request
// ReadTimeout, which would cut off large uploads; instead body reads get a
// deadline that moves forward as bytes arrive.
func (s *Server) HTTPServer(addr string) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           s,
		ReadHeaderTimeout: readHeaderTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
}

// ServeHTTP authenticates r, routes it and writes the response, logging
// one access-log line.
func (s *Server) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	start := time.Now()
	w := newLogWriter(rw)
	body := newDeadlineBody(r.Body, http.NewResponseController(w), s.bodyIdle)
	// A shallow copy carries the wrapped body, so that net/http still sees
	// its own body afterwards and decides how to finish an unread one.
	r = r.WithContext(r.Context())
	r.Body = body
	req := &request{id: s.ids.next(), r: r}
	w.Header().Set("x-amz-request-id", req.id)
	w.Header().Set("x-amz-id-2", s.ids.hostID(req.id))
	err := s.serve(w, req)
	if r.ContentLength != 0 {
		body.finish()
	}
	if err != nil && w.wroteHeader {
		// The status is on the wire and a body failed mid-stream (most
		// often the client went away): all that is left is to cut the
		// response short so the client sees a truncated body.
		s.log.Warn("response cut short", "request_id", req.id, "err", err)
		s.logAccess(req, w, body, start, err)
		panic(http.ErrAbortHandler)
	}
	if err != nil {
		if !body.sawEOF && r.ContentLength != 0 {
			// Unread request bytes of a failed request are not worth
			// draining, and a stalled client would hold the drain forever.
			w.Header().Set("Connection", "close")
		}
		s.writeError(w, req, err)
	}
	s.logAccess(req, w, body, start, err)
}

// serve authenticates and dispatches one request.
func (s *Server) serve(w http.ResponseWriter, req *request) error {
	user, res, err := s.authenticate(req.r)
	if err != nil {
		// The body was never read: do not read it now, and do not keep a
		// connection whose unread bytes could be any size.
		w.Header().Set("Connection", "close")
		return err
	}
	req.user, req.auth = user, res
	return s.route(w, req)
}

// authenticate verifies r and returns its user, which the verifier got
// from credsAdapter along with the secret.
func (s *Server) authenticate(r *http.Request) (User, *auth.Result, error) {
	res, err := s.verifier.Verify(r)
	if err != nil {
		return User{}, nil, err
	}
	u, ok := res.Owner.(User)
	if !ok {
		return User{}, nil, fmt.Errorf("verified request owned by %T, not an s3.User", res.Owner)
	}
	return u, res, nil
}
