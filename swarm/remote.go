package swarm

import (
	"github.com/d3s/d3s/swarm/internal/infodict"

	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/anacrolix/torrent"
	"github.com/dgraph-io/badger/v4"
)

// remoteReadahead is how far past the read position a remote reader asks
// for pieces first (the rest of the object follows anyway).
const remoteReadahead = 8 << 20

// remoteStall is how long a read of OpenRemote's reader waits for the
// piece at its position before it fails with ErrStalled: holders that all
// died or stopped sending must not hold a client (or the connection it
// waits on) for good. A piece takes at most a few seconds from one live
// holder.
var remoteStall = 30 * time.Second

// OpenRemote streams an object that is not held locally from peers: reads
// return verified bytes as pieces arrive (the first byte does not wait for
// the whole object; a read never returns bytes whose piece failed or has
// not passed its SHA-1 check), and Seek serves ranges, the pieces at the
// read position coming first. The whole object downloads meanwhile; once
// complete and its SHA-256 verified it is stored as a cached object with
// no reference (Stat and Open find it, Fetch or Ref make it held, Evict
// removes it). Closing the reader before then cancels the download unless
// another reader or a Fetch shares it. ctx bounds the whole stream: reads
// fail with its error once it ends. An object stored locally is simply
// opened. ErrBadMetaInfo.
func (s *Swarm) OpenRemote(ctx context.Context, id ID, mi []byte, peers []string) (io.ReadSeekCloser, error) {
	if r, err := s.Open(ctx, id); !errors.Is(err, ErrNotFound) {
		return r, err
	}
	fi, err := parseMetaInfo(id, mi)
	if err != nil {
		return nil, err
	}
	if fi.size == 0 {
		return inlineReader{bytes.NewReader(nil)}, nil
	}
	p, err := s.join(id, fi, peers, false)
	if err != nil {
		return nil, err
	}
	r := p.t.NewReader()
	r.SetReadahead(max(remoteReadahead, 4*infodict.PieceLength(fi.size)))
	return &remoteReader{s: s, p: p, r: r, ctx: ctx}, nil
}

// remoteReader reads a download in progress through the engine, which
// returns only verified pieces and fetches the read position first.
type remoteReader struct {
	s    *Swarm
	p    *partial
	r    torrent.Reader
	ctx  context.Context
	once sync.Once
}

func (rr *remoteReader) Read(b []byte) (int, error) {
	ctx, cancel := context.WithTimeout(rr.ctx, remoteStall)
	defer cancel()
	n, err := rr.r.ReadContext(ctx, b)
	if err != nil && !errors.Is(err, io.EOF) {
		if perr := rr.failed(); perr != nil {
			err = perr
		} else if n == 0 && rr.ctx.Err() == nil && ctx.Err() != nil {
			err = fmt.Errorf("%w within %v", ErrStalled, remoteStall)
		}
	}
	return n, err
}

// failed returns the download's error once it has failed.
func (rr *remoteReader) failed() error {
	select {
	case <-rr.p.fin:
		return rr.p.err
	default:
		return nil
	}
}

func (rr *remoteReader) Seek(off int64, whence int) (int64, error) {
	return rr.r.Seek(off, whence)
}

func (rr *remoteReader) Close() error {
	rr.once.Do(func() {
		rr.r.Close()
		rr.s.leave(rr.p)
		rr.s.cache.kick() // the object, if committed, may now be evicted
	})
	return nil
}

// Evict removes a cached object (one OpenRemote stored, with no
// reference). ErrHeld if it has references, ErrNotFound.
func (s *Swarm) Evict(ctx context.Context, id ID) error {
	mu := &s.locks[id[0]]
	mu.Lock()
	defer mu.Unlock()
	var k kind
	err := s.update(func(txn *badger.Txn) error {
		rec, err := getRecord(txn, id)
		if err != nil {
			return err
		}
		if rec.refs > 0 {
			return fmt.Errorf("%w: %s has %d references", ErrHeld, id, rec.refs)
		}
		k = rec.kind
		return deleteKeys(txn, id)
	})
	if err != nil {
		return err
	}
	s.removed(id, k)
	return nil
}
