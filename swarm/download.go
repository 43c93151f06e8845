package swarm

import (
	"github.com/d3s/d3s/swarm/internal/infodict"

	"context"
	"fmt"
	"maps"
	"os"
	"sync"

	"github.com/anacrolix/torrent"
	"github.com/anacrolix/torrent/metainfo"
)

// partial is a download in progress into a temp file, shared by every
// Fetch and OpenRemote of the object. It runs while it has users; the
// last one to leave before it completes cancels it and its file is
// removed. Once complete and verified it is committed as a cached object
// (no references: Fetch then adds its own), and its torrent stays loaded
// until its last reader closes.
type partial struct {
	f      *os.File
	mu     sync.Mutex
	done   []bool           // piece completion
	from   map[string]int64 // useful bytes by peer name
	t      *torrent.Torrent
	ready  chan struct{} // t is set (nil for an empty object)
	cancel context.CancelFunc
	users  int // under Swarm.mu
	fin    chan struct{}
	err    error // set before fin closes
	drop   sync.Once
	// repair: the download replaces the bytes of stored object id
	// (Repair) instead of committing a new cached one; reseed: it
	// unloaded a torrent seeding the damaged copy, loaded again once the
	// repaired one is in place.
	id     ID
	repair bool
	reseed bool
}

// join registers a user of id's download, starting it if none runs, and
// adds peers to it.
func (s *Swarm) join(id ID, fi fetchInfo, peers []string) (*partial, error) {
	return s.joinAs(id, fi, peers, false)
}

// joinAs is join; a download it starts is a repair if repair is set.
func (s *Swarm) joinAs(id ID, fi fetchInfo, peers []string, repair bool) (*partial, error) {
	for {
		p, owner, err := s.register(id, fi, repair)
		if err != nil {
			return nil, err
		}
		if p == nil {
			continue // a download being torn down has gone: start anew
		}
		if owner {
			if repair {
				p.reseed = s.unloadDamaged(id)
			}
			s.startTorrent(id, fi, p)
		}
		<-p.ready
		if p.t != nil {
			p.t.AddPeers(s.names.PeerInfos(s.Self(), peers))
		}
		return p, nil
	}
}

// register returns id's running download with one more user, or a new one
// (owner); nil after waiting for a download that was being torn down.
func (s *Swarm) register(id ID, fi fetchInfo, repair bool) (p *partial, owner bool, err error) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, false, ErrClosed
	}
	if p = s.fetches[id]; p != nil {
		if p.users == 0 {
			s.mu.Unlock()
			<-p.fin
			return nil, false, nil
		}
		p.users++
		s.mu.Unlock()
		return p, false, nil
	}
	defer s.mu.Unlock()
	f, err := s.tempFile()
	if err == nil {
		if err = f.Truncate(fi.size); err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}
	if err != nil {
		return nil, false, fmt.Errorf("swarm: fetch: %w", err)
	}
	ctx, cancel := context.WithCancel(s.ctx)
	p = &partial{f: f, done: make([]bool, infodict.NumPieces(fi.size, infodict.PieceLength(fi.size))),
		from: make(map[string]int64), ready: make(chan struct{}), cancel: cancel, users: 1, fin: make(chan struct{}),
		id: id, repair: repair}
	s.fetches[id] = p
	s.wg.Go(func() { s.run(ctx, id, fi, p) })
	return p, true, nil
}

// startTorrent loads the download's torrent (its storage finds p in
// s.fetches) and asks for every piece.
func (s *Swarm) startTorrent(id ID, fi fetchInfo, p *partial) {
	defer close(p.ready)
	if fi.size == 0 {
		return
	}
	opts := torrent.AddTorrentOpts{InfoHash: metainfo.Hash(id), InfoBytes: fi.info}
	s.loadMu.Lock()
	t, isNew := s.cl.AddTorrentOpt(opts)
	if !isNew {
		// A torrent loaded from the stored copy (being evicted, released
		// or repaired): its storage is not the download's, and whoever
		// unloads the stored copy would drop it under the readers.
		t.Drop()
		t, _ = s.cl.AddTorrentOpt(opts)
	}
	p.t = t
	s.owned[id] = p
	s.loadMu.Unlock()
	p.t.DownloadAll()
}

// leave drops a user; the last one cancels an unfinished download, waits
// for its cleanup and unloads its torrent, then seeds a repaired object
// again if its damaged copy was seeding.
func (s *Swarm) leave(p *partial) {
	s.mu.Lock()
	p.users--
	last := p.users == 0
	s.mu.Unlock()
	if !last {
		return
	}
	p.cancel()
	<-p.fin
	s.unloadPartial(p)
	if p.reseed && p.err == nil {
		s.reseed(p.id)
	}
}

// unloadPartial drops p's torrent and closes its file, once; the file
// only after closeGrace, since the engine may still be reading it for a
// peer.
func (s *Swarm) unloadPartial(p *partial) {
	p.drop.Do(func() {
		<-p.ready
		s.loadMu.Lock()
		if s.owned[p.id] == p {
			delete(s.owned, p.id)
		}
		if p.t != nil {
			p.t.Drop()
		}
		s.loadMu.Unlock()
		closeLater(p.f)
	})
}

// run waits for every piece, verifies and commits the object, then
// unregisters the download.
func (s *Swarm) run(ctx context.Context, id ID, fi fetchInfo, p *partial) {
	err := s.awaitPieces(ctx, id, p)
	if err == nil {
		s.reportPeers(id, p)
		err = s.verifyAndCommit(ctx, id, fi, p)
	}
	s.mu.Lock()
	delete(s.fetches, id)
	p.err = err
	s.mu.Unlock()
	if err != nil {
		s.unloadPartial(p) // readers see the error; a new download starts afresh
		os.Remove(p.f.Name())
		s.log.Debug("download failed", "id", id, "err", err)
	}
	close(p.fin)
}

// awaitPieces waits until every piece is verified.
func (s *Swarm) awaitPieces(ctx context.Context, id ID, p *partial) error {
	select {
	case <-p.ready:
	case <-ctx.Done():
		return fmt.Errorf("swarm: fetch %s: %w", id, context.Cause(ctx))
	}
	if p.t == nil {
		return nil
	}
	select {
	case <-p.t.Complete().On():
		return nil
	case <-ctx.Done():
		return fmt.Errorf("swarm: fetch %s: %w", id, context.Cause(ctx))
	}
}

// countUseful adds a received piece's bytes to its peer's count.
func (s *Swarm) countUseful(e torrent.ReceivedUsefulDataEvent) {
	p := s.fetching(ID(e.Peer.Torrent().InfoHash()))
	if p == nil || e.Message == nil {
		return
	}
	addr := e.Peer.RemoteAddr.String()
	name, ok := s.names.Name(addr)
	if !ok {
		name = addr
	}
	p.mu.Lock()
	p.from[name] += int64(len(e.Message.Piece))
	p.mu.Unlock()
}

// reportPeers logs (and hands to the test hook) how many useful bytes
// each peer sent.
func (s *Swarm) reportPeers(id ID, p *partial) {
	p.mu.Lock()
	from := maps.Clone(p.from)
	p.mu.Unlock()
	s.log.Debug("downloaded", "id", id, "from", from)
	if s.fetchedFrom != nil {
		s.fetchedFrom(id, from)
	}
}
