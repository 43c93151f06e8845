package swarm

import (
	"context"
	"errors"
	"io"
	"log/slog"

	"github.com/dgraph-io/badger/v4"
)

// ID names one stored object version: the infohash of its v1 torrent.
// Identical bytes give the same ID, so content is stored once.
type ID [20]byte

// Object describes stored bytes.
type Object struct {
	ID          ID
	Size        int64
	PieceLength int64
	MD5         [16]byte // zero for a Concat result
	SHA256      [32]byte
}

// Expect lists digests the bytes given to Put must have; nil fields are not
// checked.
type Expect struct {
	MD5    []byte
	SHA256 []byte
}

// Config configures a Swarm.
type Config struct {
	// Dir holds object data files; names derive from IDs, never from keys.
	Dir string
	// DB is the node's database; the swarm keeps its state under keys
	// starting with "swarm/".
	DB     *badger.DB
	Logger *slog.Logger
}

// Errors returned by the swarm.
var (
	ErrNotFound       = errors.New("swarm: object not found")
	ErrSizeMismatch   = errors.New("swarm: size does not match")
	ErrMD5Mismatch    = errors.New("swarm: MD5 does not match")
	ErrSHA256Mismatch = errors.New("swarm: SHA-256 does not match")
)

// Swarm stores object versions as v1 torrents and serves them.
type Swarm struct{}

// New opens the swarm in cfg.Dir.
func New(cfg Config) (*Swarm, error) { panic("unimplemented") }

// Close stops the swarm.
func (s *Swarm) Close() error { panic("unimplemented") }

// Put reads exactly size bytes from r, writes them once and fsyncs them,
// computing MD5, SHA-1 pieces and SHA-256 in the same pass, and returns the
// stored object holding one reference for the caller. Nothing is kept on
// error: ErrSizeMismatch, ErrMD5Mismatch, ErrSHA256Mismatch, or r's error.
func (s *Swarm) Put(ctx context.Context, r io.Reader, size int64, want Expect) (Object, error) {
	panic("unimplemented")
}

// Concat builds one object from stored objects in order, without copying
// their bytes, and returns it holding one reference (it also holds its
// parts). ErrNotFound if a part is missing.
func (s *Swarm) Concat(ctx context.Context, parts []ID) (Object, error) { panic("unimplemented") }

// Open returns a reader of the object's bytes. ErrNotFound.
func (s *Swarm) Open(ctx context.Context, id ID) (io.ReadSeekCloser, error) {
	panic("unimplemented")
}

// Stat describes a stored object. ErrNotFound.
func (s *Swarm) Stat(ctx context.Context, id ID) (Object, error) { panic("unimplemented") }

// Ref adds a reference to a stored object (a copy). ErrNotFound.
func (s *Swarm) Ref(ctx context.Context, id ID) error { panic("unimplemented") }

// Release drops a reference; the bytes are deleted with the last one.
func (s *Swarm) Release(ctx context.Context, id ID) error { panic("unimplemented") }

// MetaInfo returns the object's .torrent file. ErrNotFound.
func (s *Swarm) MetaInfo(ctx context.Context, id ID) ([]byte, error) { panic("unimplemented") }
