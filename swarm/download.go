package swarm

import (
	"context"
	"fmt"
	"maps"
	"os"
	"sync"

	"github.com/anacrolix/torrent"
	"github.com/anacrolix/torrent/metainfo"

	"github.com/d3s/d3s/swarm/internal/infodict"
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
	users  int // under engine.mu
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

// join registers a user of id's download, starting it if none runs (a
// repair if repair is set), and adds peers to it.
func (s *Swarm) join(id ID, fi fetchInfo, peers []string, repair bool) (*partial, error) {
	e := s.eng
	for {
		p, owner, err := e.register(id, fi, repair)
		if err != nil {
			return nil, err
		}
		if p == nil {
			continue // a download being torn down has gone: start anew
		}
		if owner {
			if repair {
				p.reseed = e.unloadDamaged(id)
			}
			e.startTorrent(id, fi, p)
		}
		<-p.ready
		if p.t != nil {
			p.t.AddPeers(e.names.PeerInfos(e.tr.Self(), peers))
		}
		return p, nil
	}
}

// leave drops a user of a download (engine.leave), then seeds a repaired
// object again if its damaged copy was seeding.
func (s *Swarm) leave(p *partial) {
	if s.eng.leave(p) && p.reseed && p.err == nil {
		s.reseed(p.id)
	}
}

// fetching returns the download in progress for id, if any.
func (e *engine) fetching(id ID) *partial {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.fetches[id]
}

// register returns id's running download with one more user, or a new one
// (owner); nil after waiting for a download that was being torn down.
func (e *engine) register(id ID, fi fetchInfo, repair bool) (p *partial, owner bool, err error) {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil, false, ErrClosed
	}
	if p = e.fetches[id]; p != nil {
		if p.users == 0 {
			e.mu.Unlock()
			<-p.fin
			return nil, false, nil
		}
		p.users++
		e.mu.Unlock()
		return p, false, nil
	}
	defer e.mu.Unlock()
	f, err := e.tempFile()
	if err == nil {
		if err = f.Truncate(fi.size); err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}
	if err != nil {
		return nil, false, fmt.Errorf("swarm: fetch: %w", err)
	}
	ctx, cancel := context.WithCancel(e.ctx)
	p = &partial{f: f, done: make([]bool, infodict.NumPieces(fi.size, infodict.PieceLength(fi.size))),
		from: make(map[string]int64), ready: make(chan struct{}), cancel: cancel, users: 1, fin: make(chan struct{}),
		id: id, repair: repair}
	e.fetches[id] = p
	e.wg.Go(func() { e.run(ctx, id, fi, p) })
	return p, true, nil
}

// startTorrent loads the download's torrent (its storage finds p in
// fetches) and asks for every piece.
func (e *engine) startTorrent(id ID, fi fetchInfo, p *partial) {
	defer close(p.ready)
	if fi.size == 0 {
		return
	}
	opts := torrent.AddTorrentOpts{InfoHash: metainfo.Hash(id), InfoBytes: fi.info}
	e.loadMu.Lock()
	t, isNew := e.cl.AddTorrentOpt(opts)
	if !isNew {
		// A torrent loaded from the stored copy (being evicted, released
		// or repaired): its storage is not the download's, and whoever
		// unloads the stored copy would drop it under the readers.
		t.Drop()
		t, _ = e.cl.AddTorrentOpt(opts)
	}
	p.t = t
	e.owned[id] = p
	e.loadMu.Unlock()
	p.t.DownloadAll()
}

// leave drops a user; the last one cancels an unfinished download, waits
// for its cleanup and unloads its torrent, and reports true.
func (e *engine) leave(p *partial) (last bool) {
	e.mu.Lock()
	p.users--
	last = p.users == 0
	e.mu.Unlock()
	if !last {
		return false
	}
	p.cancel()
	<-p.fin
	e.unloadPartial(p)
	return true
}

// unloadPartial drops p's torrent and closes its file, once; the file
// only after closeGrace, since the engine may still be reading it for a
// peer.
func (e *engine) unloadPartial(p *partial) {
	p.drop.Do(func() {
		<-p.ready
		e.loadMu.Lock()
		if e.owned[p.id] == p {
			delete(e.owned, p.id)
		}
		if p.t != nil {
			p.t.Drop()
		}
		e.loadMu.Unlock()
		closeLater(p.f)
	})
}

// run waits for every piece, verifies and commits the object, then
// unregisters the download.
func (e *engine) run(ctx context.Context, id ID, fi fetchInfo, p *partial) {
	err := p.await(ctx, id)
	if err == nil {
		e.reportPeers(id, p)
		err = e.commit(ctx, id, fi, p)
	}
	e.mu.Lock()
	delete(e.fetches, id)
	p.err = err
	e.mu.Unlock()
	if err != nil {
		e.unloadPartial(p) // readers see the error; a new download starts afresh
		os.Remove(p.f.Name())
		e.log.Debug("download failed", "id", id, "err", err)
	}
	close(p.fin)
}

// await waits until every piece is verified.
func (p *partial) await(ctx context.Context, id ID) error {
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
func (e *engine) countUseful(ev torrent.ReceivedUsefulDataEvent) {
	p := e.fetching(ID(ev.Peer.Torrent().InfoHash()))
	if p == nil || ev.Message == nil {
		return
	}
	addr := ev.Peer.RemoteAddr.String()
	name, ok := e.names.Name(addr)
	if !ok {
		name = addr
	}
	p.mu.Lock()
	p.from[name] += int64(len(ev.Message.Piece))
	p.mu.Unlock()
}

// reportPeers logs (and hands to the test hook) how many useful bytes
// each peer sent.
func (e *engine) reportPeers(id ID, p *partial) {
	p.mu.Lock()
	from := maps.Clone(p.from)
	p.mu.Unlock()
	e.log.Debug("downloaded", "id", id, "from", from)
	if e.fetchedFrom != nil {
		e.fetchedFrom(id, from)
	}
}
