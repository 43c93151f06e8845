package swarm

import (
	"errors"

	"github.com/d3s/d3s/swarm/internal/onepass"
	"github.com/d3s/d3s/swarm/internal/verified"
)

// Errors returned by the swarm.
var (
	ErrNotFound = errors.New("swarm: object not found")
	// ErrSizeMismatch is returned by Put when the reader holds fewer or
	// more bytes than the size given (the one pass finds it).
	ErrSizeMismatch   = onepass.ErrSizeMismatch
	ErrMD5Mismatch    = errors.New("swarm: MD5 does not match")
	ErrSHA256Mismatch = errors.New("swarm: SHA-256 does not match")
	// ErrBadMetaInfo is returned by Fetch when the metainfo is not a
	// single-file v1 torrent named by its SHA-256 whose infohash is the ID.
	ErrBadMetaInfo = errors.New("swarm: bad metainfo")
	// ErrHeld is returned by Evict for an object that has references.
	ErrHeld = errors.New("swarm: object is held")
	// ErrCorrupt is returned when stored bytes fail their SHA-1 piece
	// check: a read never returns them (Open, Scrub).
	ErrCorrupt = verified.ErrCorrupt
	// ErrStalled is returned by a read of OpenRemote's reader when no
	// peer delivered a verified piece at the read position for
	// remoteStall: the read gives up rather than hang.
	ErrStalled = errors.New("swarm: no peer delivered the data")
	// ErrClosed is returned after Close.
	ErrClosed = errors.New("swarm: closed")
)
