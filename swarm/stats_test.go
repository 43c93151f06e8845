package swarm

import (
	"testing"
)

func TestStatsCountsTransfer(t *testing.T) {
	src := newSource(t, 800, 1)
	b := newSwarm(t)
	if st := b.Stats(); st.BytesDown != 0 || st.BytesUp != 0 || st.Loaded != 0 || st.CacheSize != DefaultCacheSize {
		t.Fatalf("fresh swarm's Stats %+v; want no transfer, nothing loaded, the default budget", st)
	}
	if st := src.Stats(); st.Loaded != 1 {
		t.Fatalf("seeder's Stats %+v; want 1 loaded torrent", st)
	}
	src.readRemote(t, b, 0)
	st := b.Stats()
	if st.BytesDown < cacheObj || st.BytesUp != 0 {
		t.Fatalf("reader's Stats %+v; want at least %d bytes down, none up", st, cacheObj)
	}
	if st.CachedObjects != 1 || st.CachedBytes != cacheObj {
		t.Fatalf("reader's Stats %+v; want the object cached", st)
	}
	if st.Loaded != 0 {
		t.Fatalf("reader's Stats %+v; want no torrent loaded after the reader closed", st)
	}
	// The seeder counts a piece once written; the reader may see it first.
	waitFor(t, "the seeder's upload count", func() bool { return src.Stats().BytesUp >= cacheObj })
	if st := src.Stats(); st.BytesDown != 0 || st.CachedObjects != 0 {
		t.Fatalf("seeder's Stats %+v; want nothing down and nothing cached", st)
	}
}
