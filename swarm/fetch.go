package swarm

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"net/netip"
	"os"

	"github.com/anacrolix/torrent"
	"github.com/anacrolix/torrent/metainfo"
	"golang.org/x/sys/unix"
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
	if fi.size < 0 || !bytes.Equal(infoBytes(fi.size, pieceLength(fi.size), fi.pieces, fi.sha256), fi.info) {
		return fetchInfo{}, fmt.Errorf("%w: not a D3S object torrent", ErrBadMetaInfo)
	}
	return fi, nil
}

// Fetch downloads an object from peers into local storage, verifies its
// SHA-256 and returns it holding one reference for the caller, like Put.
// An object already held only gains the reference. ErrBadMetaInfo,
// ErrSHA256Mismatch, or the context's error if the peers do not deliver.
func (s *Swarm) Fetch(ctx context.Context, id ID, mi []byte, peers []netip.AddrPort) (Object, error) {
	fi, err := parseMetaInfo(id, mi)
	if err != nil {
		return Object{}, err
	}
	for {
		if held, err := s.addRef(id); held || err != nil {
			return s.heldObject(ctx, id, err)
		}
		p, owner, err := s.startFetch(id)
		if err != nil {
			return Object{}, err
		}
		if owner {
			obj, err := s.download(ctx, id, fi, p, peers)
			s.finishFetch(id, p, err)
			return obj, err
		}
		// Another Fetch of the same object is running: wait for it.
		select {
		case <-p.fin:
		case <-ctx.Done():
			return Object{}, context.Cause(ctx)
		}
		if p.err != nil {
			return Object{}, p.err
		}
	}
}

func (s *Swarm) heldObject(ctx context.Context, id ID, err error) (Object, error) {
	if err != nil {
		return Object{}, err
	}
	return s.Stat(ctx, id)
}

// startFetch registers a download of id, or returns the one running.
func (s *Swarm) startFetch(id ID) (p *partial, owner bool, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, false, ErrClosed
	}
	if p := s.fetches[id]; p != nil {
		return p, false, nil
	}
	f, err := s.tempFile()
	if err != nil {
		return nil, false, fmt.Errorf("swarm: fetch: %w", err)
	}
	p = &partial{f: f, fin: make(chan struct{})}
	s.fetches[id] = p
	return p, true, nil
}

func (s *Swarm) finishFetch(id ID, p *partial, err error) {
	s.mu.Lock()
	delete(s.fetches, id)
	s.mu.Unlock()
	p.f.Close()
	if err != nil {
		os.Remove(p.f.Name())
	}
	p.err = err
	close(p.fin)
}

// download runs the torrent until every piece is verified, then checks
// the whole SHA-256, makes the file durable and commits the object.
func (s *Swarm) download(ctx context.Context, id ID, fi fetchInfo, p *partial, peers []netip.AddrPort) (Object, error) {
	if err := p.f.Truncate(fi.size); err != nil {
		return Object{}, fmt.Errorf("swarm: fetch: %w", err)
	}
	p.done = make([]bool, numPieces(fi.size, pieceLength(fi.size)))
	if fi.size > 0 {
		if err := s.runTorrent(ctx, id, fi, peers); err != nil {
			return Object{}, err
		}
	}
	d, err := hashPipe(ctx, io.NewSectionReader(p.f, 0, fi.size), fi.size, true, nil)
	if err != nil {
		return Object{}, fmt.Errorf("swarm: fetch %s: %w", id, err)
	}
	if d.sha256 != fi.sha256 || !bytes.Equal(d.pieces, fi.pieces) {
		return Object{}, fmt.Errorf("swarm: fetch %s: %w", id, ErrSHA256Mismatch)
	}
	return s.commitFetched(id, fi, p.f, d)
}

// runTorrent downloads into the registered partial file.
func (s *Swarm) runTorrent(ctx context.Context, id ID, fi fetchInfo, peers []netip.AddrPort) error {
	t, _ := s.cl.AddTorrentOpt(torrent.AddTorrentOpts{InfoHash: metainfo.Hash(id), InfoBytes: fi.info})
	defer t.Drop()
	select {
	case <-t.GotInfo():
	case <-ctx.Done():
		return context.Cause(ctx)
	}
	t.AddPeers(peerInfos(peers))
	t.DownloadAll()
	select {
	case <-t.Complete().On():
		return nil
	case <-ctx.Done():
		return fmt.Errorf("swarm: fetch %s: %w", id, context.Cause(ctx))
	}
}

// commitFetched stores verified bytes like Put would.
func (s *Swarm) commitFetched(id ID, fi fetchInfo, f *os.File, d digests) (Object, error) {
	rec := &record{kind: kindFile, size: fi.size, pieceLen: pieceLength(fi.size), md5: d.md5, sha256: d.sha256, refs: 1}
	if fi.size <= s.inlineMax {
		b := make([]byte, fi.size)
		if _, err := f.ReadAt(b, 0); err != nil && fi.size > 0 {
			return Object{}, fmt.Errorf("swarm: fetch %s: %w", id, err)
		}
		rec.kind = kindInline
		if err := s.commitInline(id, rec, fi.info, b); err != nil {
			return Object{}, err
		}
		return s.Stat(context.Background(), id)
	}
	if err := unix.Fdatasync(int(f.Fd())); err != nil {
		return Object{}, fmt.Errorf("swarm: fetch %s: sync: %w", id, err)
	}
	if err := s.commitFile(id, f.Name(), rec, fi.info); err != nil {
		return Object{}, err
	}
	return s.Stat(context.Background(), id)
}
