package swarm

import (
	"github.com/d3s/d3s/swarm/internal/infodict"

	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"os"

	"github.com/anacrolix/torrent/metainfo"
	"golang.org/x/sys/unix"

	"github.com/d3s/d3s/swarm/internal/onepass"
)

// fetchInfo is a validated torrent of a D3S object.
type fetchInfo struct {
	info   []byte
	size   int64
	pieces []byte
	sha256 [32]byte
}

// parseMetaInfo accepts only torrents this package makes: a single file
// named by its SHA-256, the piece length of the rule, infohash id.
func parseMetaInfo(id ID, mi []byte) (fetchInfo, error) {
	m, err := metainfo.Load(bytes.NewReader(mi))
	if err != nil {
		return fetchInfo{}, fmt.Errorf("%w: %v", ErrBadMetaInfo, err)
	}
	if ID(m.HashInfoBytes()) != id {
		return fetchInfo{}, fmt.Errorf("%w: infohash is not %s", ErrBadMetaInfo, id)
	}
	info, err := m.UnmarshalInfo()
	if err != nil {
		return fetchInfo{}, fmt.Errorf("%w: %v", ErrBadMetaInfo, err)
	}
	fi := fetchInfo{info: m.InfoBytes, size: info.Length, pieces: info.Pieces}
	if n, err := hex.Decode(fi.sha256[:], []byte(info.Name)); err != nil || n != len(fi.sha256) || len(info.Name) != 64 {
		return fetchInfo{}, fmt.Errorf("%w: name is not a SHA-256", ErrBadMetaInfo)
	}
	if fi.size < 0 || !bytes.Equal(infodict.Encode(fi.size, infodict.PieceLength(fi.size), fi.pieces, fi.sha256), fi.info) {
		return fetchInfo{}, fmt.Errorf("%w: not a D3S object torrent", ErrBadMetaInfo)
	}
	return fi, nil
}

// Fetch downloads object id from peers (several at once, named as the
// Transport names them), verifies every piece and the whole SHA-256,
// stores it and returns it holding one reference for the caller, like
// Put. An object already stored (held or cached) only gains the
// reference; a download of the same object already running (another
// Fetch, an OpenRemote) is shared. ErrBadMetaInfo, ErrSHA256Mismatch, or
// the context's error if the peers do not deliver.
func (s *Swarm) Fetch(ctx context.Context, id ID, mi []byte, peers []string) (Object, error) {
	fi, err := parseMetaInfo(id, mi)
	if err != nil {
		return Object{}, err
	}
	for {
		if held, err := s.addRef(id); held || err != nil {
			return s.heldObject(ctx, id, err)
		}
		if err := s.awaitDownload(ctx, id, fi, peers, false); err != nil {
			return Object{}, err
		}
		// Committed as cache: loop to take the reference (or, if it was
		// evicted in between, to download again).
	}
}

// awaitDownload joins id's download (a repair if it starts one and
// repair is set) and waits for it to finish.
func (s *Swarm) awaitDownload(ctx context.Context, id ID, fi fetchInfo, peers []string, repair bool) error {
	p, err := s.join(id, fi, peers, repair)
	if err != nil {
		return err
	}
	defer s.leave(p)
	select {
	case <-p.fin:
		return p.err
	case <-ctx.Done():
		return fmt.Errorf("swarm: fetch %s: %w", id, context.Cause(ctx))
	}
}

func (s *Swarm) heldObject(ctx context.Context, id ID, err error) (Object, error) {
	if err != nil {
		return Object{}, err
	}
	return s.Stat(ctx, id)
}

// verifyAndCommit checks the whole downloaded file against the torrent
// and its SHA-256, makes it durable and commits it as a cached object, or
// as the new bytes of the stored object a repair downloaded.
func (s *Swarm) verifyAndCommit(ctx context.Context, id ID, fi fetchInfo, p *partial) error {
	d, err := onepass.Run(ctx, io.NewSectionReader(p.f, 0, fi.size), fi.size, infodict.PieceLength(fi.size), true, nil)
	if err != nil {
		return fmt.Errorf("swarm: fetch %s: %w", id, err)
	}
	if d.SHA256 != fi.sha256 || !bytes.Equal(d.Pieces, fi.pieces) {
		return fmt.Errorf("swarm: fetch %s: %w", id, ErrSHA256Mismatch)
	}
	if p.repair {
		return s.commitRepaired(id, fi, p.f)
	}
	return s.commitFetched(id, fi, p.f, d)
}

// commitFetched stores verified bytes like Put would, but with no
// reference: a cached object, kept until Evict or until a reference is
// taken and released.
func (s *Swarm) commitFetched(id ID, fi fetchInfo, f *os.File, d onepass.Digests) error {
	defer s.cacheCommitted(id) // indexes it for eviction (cache.go)
	rec := &record{kind: kindFile, size: fi.size, pieceLen: infodict.PieceLength(fi.size), md5: d.MD5, sha256: d.SHA256}
	if fi.size <= s.inlineMax {
		b := make([]byte, fi.size)
		if _, err := f.ReadAt(b, 0); err != nil && fi.size > 0 {
			return fmt.Errorf("swarm: fetch %s: %w", id, err)
		}
		rec.kind = kindInline
		// The bytes now live in the database: the download file goes
		// (its descriptor stays open for the engine until closeLater).
		defer os.Remove(f.Name())
		return s.commitInline(id, rec, fi.info, b)
	}
	if err := unix.Fdatasync(int(f.Fd())); err != nil {
		return fmt.Errorf("swarm: fetch %s: sync: %w", id, err)
	}
	return s.commitFile(id, f.Name(), rec, fi.info)
}
