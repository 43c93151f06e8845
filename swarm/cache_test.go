package swarm

import (
	"github.com/d3s/d3s/swarm/internal/infodict"

	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// cacheObj is the size of the objects the cache tests read: files, not
// inline, and several fit a small budget.
const cacheObj = 1 << 20

// openCacheSwarm opens (or reopens) the swarm kept in dir with a cache
// budget.
func openCacheSwarm(t testing.TB, dir string, cacheSize int64) *testSwarm {
	t.Helper()
	db, err := badger.Open(BadgerOptions(filepath.Join(dir, "db")))
	if err != nil {
		t.Fatalf("open badger: %v", err)
	}
	s, err := New(Config{Dir: filepath.Join(dir, "data"), DB: db, CacheSize: cacheSize})
	if err != nil {
		db.Close()
		t.Fatalf("New: %v", err)
	}
	ts := &testSwarm{Swarm: s, dir: dir, db: db}
	t.Cleanup(func() { ts.close(t) })
	return ts
}

// source is a swarm seeding n distinct objects of cacheObj bytes.
type source struct {
	*testSwarm
	data [][]byte
	ids  []ID
	mis  [][]byte
}

func newSource(t *testing.T, seed uint64, n int) *source {
	t.Helper()
	src := &source{testSwarm: newSwarm(t)}
	for i := range n {
		d := randBytes(seed+uint64(i), cacheObj)
		id, mi := seeded(t, src.testSwarm, d)
		src.data, src.ids, src.mis = append(src.data, d), append(src.ids, id), append(src.mis, mi)
	}
	return src
}

// readRemote reads object i of src through b, whole, and closes the
// reader once b has stored it.
func (src *source) readRemote(t *testing.T, b *testSwarm, i int) {
	t.Helper()
	if err := src.tryReadRemote(t, b, i); err != nil {
		t.Fatal(err)
	}
}

// tryReadRemote is readRemote for any goroutine.
func (src *source) tryReadRemote(t *testing.T, b *testSwarm, i int) error {
	r, err := b.OpenRemote(t.Context(), src.ids[i], src.mis[i], []string{src.Self()})
	if err != nil {
		return fmt.Errorf("OpenRemote %d: %w", i, err)
	}
	defer r.Close()
	got, err := io.ReadAll(r)
	if err != nil || !bytes.Equal(got, src.data[i]) {
		return fmt.Errorf("remote read %d: %v, equal %v", i, err, bytes.Equal(got, src.data[i]))
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if _, err := b.Stat(t.Context(), src.ids[i]); err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("object %d never stored", i)
		}
	}
}

// waitFor polls cond until it holds or 30 s pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitEvicted waits until s no longer has id.
func waitEvicted(t *testing.T, s *testSwarm, id ID) {
	t.Helper()
	waitFor(t, "eviction of "+id.String(), func() bool {
		_, err := s.Stat(t.Context(), id)
		return errors.Is(err, ErrNotFound)
	})
}

// checkHas asserts that s serves the bytes of src's objects listed.
func (src *source) checkHas(t *testing.T, s *testSwarm, objs ...int) {
	t.Helper()
	for _, i := range objs {
		if got := readAll(t, s, src.ids[i]); !bytes.Equal(got, src.data[i]) {
			t.Fatalf("object %d: local bytes differ", i)
		}
	}
}

// checkCached asserts the cache's counts, and that its index matches the
// database: exactly the records with no reference, each with an access
// time once the background writes are done.
func checkCached(t *testing.T, s *testSwarm, objects int, bytes int64) {
	t.Helper()
	if st := s.Stats(); st.CachedObjects != objects || st.CachedBytes != bytes {
		t.Fatalf("cached %d objects, %d bytes; want %d, %d", st.CachedObjects, st.CachedBytes, objects, bytes)
	}
	want := map[ID]bool{}
	err := s.db.View(func(txn *badger.Txn) error {
		return scanPrefix(txn, prefixObject, func(id ID, v []byte) error {
			refs, _, err := peekRecord(v)
			want[id] = refs == 0
			return err
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	index := map[ID]bool{}
	for _, id := range s.cache.idx.IDs() {
		index[id] = true
	}
	for id, cached := range want {
		if _, indexed := index[id]; indexed != cached {
			t.Errorf("%s: indexed %v, record says cached %v", id, indexed, cached)
		}
	}
	for id := range index {
		if _, ok := want[id]; !ok {
			t.Errorf("%s indexed without a record", id)
		}
	}
}

// stamps returns the access times stored in s's database.
func stamps(t *testing.T, s *testSwarm) map[ID]int64 {
	t.Helper()
	var m map[ID]int64
	err := s.db.View(func(txn *badger.Txn) (err error) {
		m, err = scanStamps(txn)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestCacheEvictsLeastRecentlyRead(t *testing.T) {
	src := newSource(t, 100, 4)
	b := openCacheSwarm(t, t.TempDir(), 5*cacheObj/2)
	for i := range 3 {
		src.readRemote(t, b, i)
	}
	waitEvicted(t, b, src.ids[0])
	src.checkHas(t, b, 1, 2)
	checkCached(t, b, 2, 2*cacheObj)

	// Reading 1 again makes 2 the least recently read.
	src.checkHas(t, b, 1)
	src.readRemote(t, b, 3)
	waitEvicted(t, b, src.ids[2])
	src.checkHas(t, b, 1, 3)
	checkCached(t, b, 2, 2*cacheObj)
	// Evict removes the file just after the record.
	waitFor(t, "two data files, the cached objects'", func() bool { return len(b.dataFiles(t)) == 2 })
}

func TestCacheNeverEvictsHeld(t *testing.T) {
	src := newSource(t, 200, 4)
	b := openCacheSwarm(t, t.TempDir(), 5*cacheObj/2)
	big := randBytes(210, 3*cacheObj) // held, and alone over the budget
	put := mustPut(t, b, big)
	if _, err := b.Fetch(t.Context(), src.ids[0], src.mis[0], []string{src.Self()}); err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	for i := 1; i < 4; i++ {
		src.readRemote(t, b, i)
	}
	waitEvicted(t, b, src.ids[1])
	src.checkHas(t, b, 0, 2, 3)
	if got := readAll(t, b, put.ID); !bytes.Equal(got, big) {
		t.Fatalf("held object's bytes differ")
	}
	checkCached(t, b, 2, 2*cacheObj)

	// A cached object that is fetched becomes held and leaves the cache.
	if _, err := b.Fetch(t.Context(), src.ids[2], src.mis[2], nil); err != nil {
		t.Fatalf("Fetch of a cached object: %v", err)
	}
	checkCached(t, b, 1, cacheObj)
	waitFor(t, "access times written", func() bool { return len(stamps(t, b)) == 1 })
	if _, ok := stamps(t, b)[src.ids[3]]; !ok {
		t.Fatalf("access times %v; want only object 3's", stamps(t, b))
	}
	if err := b.Evict(t.Context(), src.ids[2]); !errors.Is(err, ErrHeld) {
		t.Fatalf("Evict of a fetched object: %v, want ErrHeld", err)
	}
}

// TestCacheVictimGainsReference plays the race where a reference is taken
// between the pick of a victim and its eviction: the index still lists a
// held object, Evict refuses it and the object leaves the index intact.
func TestCacheVictimGainsReference(t *testing.T) {
	b := openCacheSwarm(t, t.TempDir(), cacheObj)
	data := randBytes(300, 2*cacheObj)
	obj := mustPut(t, b, data)
	b.cache.idx.Add(obj.ID, obj.Size, 1, nil) // as if listed before the reference
	b.cache.kick()
	waitFor(t, "the held object to leave the index", func() bool {
		n, _ := b.cache.idx.Stats()
		return n == 0
	})
	if got := readAll(t, b, obj.ID); !bytes.Equal(got, data) {
		t.Fatalf("held object's bytes differ")
	}
	checkCached(t, b, 0, 0)
}

func TestCacheOrderSurvivesReopen(t *testing.T) {
	src := newSource(t, 400, 2)
	dir := t.TempDir()
	b := openCacheSwarm(t, dir, 5*cacheObj/2)
	src.readRemote(t, b, 0)
	src.readRemote(t, b, 1)
	src.checkHas(t, b, 0) // 1 is now the least recently read
	b.close(t)

	b = openCacheSwarm(t, dir, 5*cacheObj/2)
	checkCached(t, b, 2, 2*cacheObj)
	st := stamps(t, b)
	if len(st) != 2 || st[src.ids[0]] <= st[src.ids[1]] {
		t.Fatalf("access times %v; want object 0 after object 1", st)
	}
	b.close(t)

	// A smaller budget is enforced at open, least recently read first.
	b = openCacheSwarm(t, dir, 3*cacheObj/2)
	waitEvicted(t, b, src.ids[1])
	src.checkHas(t, b, 0)
	checkCached(t, b, 1, cacheObj)
	if st := b.Stats(); st.CacheSize != 3*cacheObj/2 {
		t.Fatalf("CacheSize %d; want %d", st.CacheSize, 3*cacheObj/2)
	}
}

// TestCacheLoadRepairsAccessTimes checks the rebuild at open: a cached
// object without an access time (stored before they were kept) is found
// and goes first, and access times of objects gone or held are dropped.
func TestCacheLoadRepairsAccessTimes(t *testing.T) {
	src := newSource(t, 500, 3)
	dir := t.TempDir()
	b := openCacheSwarm(t, dir, 5*cacheObj/2)
	for i := range 2 {
		src.readRemote(t, b, i)
	}
	held := mustPut(t, b, randBytes(510, cacheObj))
	b.close(t)
	db, err := badger.Open(BadgerOptions(filepath.Join(dir, "db")))
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(txn *badger.Txn) error {
		stamp := []byte{0, 0, 0, 0, 0, 0, 0, 1}
		for _, k := range [][]byte{key(prefixCache, held.ID), key(prefixCache, ID{1, 2, 3})} {
			if err := txn.Set(k, stamp); err != nil {
				return err
			}
		}
		return txn.Delete(key(prefixCache, src.ids[1]))
	})
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}

	b = openCacheSwarm(t, dir, 5*cacheObj/2)
	checkCached(t, b, 2, 2*cacheObj)
	if st := stamps(t, b); len(st) != 1 || st[src.ids[0]] == 0 {
		t.Fatalf("access times after load %v; want only object 0's", st)
	}
	src.readRemote(t, b, 2) // over budget: 1, with no access time, goes
	waitEvicted(t, b, src.ids[1])
	src.checkHas(t, b, 0, 2)
}

// TestCacheNegativeKeepsNothing checks that with no cache a completed
// remote read is evicted once its remote reader closes, and that a
// reader still reading meanwhile gets every byte: the remote reader
// through its download, a local reader through its open file after the
// file is removed.
func TestCacheNegativeKeepsNothing(t *testing.T) {
	src := newSource(t, 600, 1)
	data := randBytes(601, 4*cacheObj) // several reads' worth
	id, mi := seeded(t, src.testSwarm, data)
	b := openCacheSwarm(t, t.TempDir(), -1)
	remote, err := b.OpenRemote(t.Context(), id, mi, []string{src.Self()})
	if err != nil {
		t.Fatal(err)
	}
	defer remote.Close()
	half := make([]byte, len(data)/2)
	if _, err := io.ReadFull(remote, half); err != nil {
		t.Fatal(err)
	}
	waitStored(t, b, id)
	b.cache.enforce(t.Context()) // the remote reader keeps it for now
	local, err := b.Open(t.Context(), id)
	if err != nil {
		t.Fatalf("Open while the remote reader reads: %v", err)
	}
	defer local.Close()
	rest, err := io.ReadAll(remote)
	if err != nil || !bytes.Equal(append(half, rest...), data) {
		t.Fatalf("remote reader: %v, all bytes equal %v", err, bytes.Equal(append(half, rest...), data))
	}
	remote.Close()
	waitEvicted(t, b, id)
	waitFor(t, "no data files", func() bool { return len(b.dataFiles(t)) == 0 })
	got, err := io.ReadAll(local)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("local reader after eviction: %v, equal %v", err, bytes.Equal(got, data))
	}
	checkCached(t, b, 0, 0)
	if st := b.Stats(); st.CacheSize != 0 {
		t.Fatalf("CacheSize %d with no cache; want 0", st.CacheSize)
	}

	// Fetch keeps what it fetched, downloaded once: the object is not
	// evicted between its commit and Fetch taking the reference.
	downloads := 0
	b.eng.fetchedFrom = func(ID, map[string]int64) { downloads++ }
	if _, err := b.Fetch(t.Context(), src.ids[0], src.mis[0], []string{src.Self()}); err != nil {
		t.Fatalf("Fetch with no cache: %v", err)
	}
	if downloads != 1 {
		t.Fatalf("Fetch downloaded %d times; want once", downloads)
	}
	src.checkHas(t, b, 0)
}

// TestCacheConcurrentReads reads objects remotely, several at once, while
// other goroutines open whatever is stored: the budget holds once all
// is done and the index matches the database. Run it with -race.
func TestCacheConcurrentReads(t *testing.T) {
	const n = 6
	src := newSource(t, 700, n)
	b := openCacheSwarm(t, t.TempDir(), 5*cacheObj/2)
	done := make(chan struct{})
	var openers sync.WaitGroup
	for range 2 {
		openers.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-done:
					return
				default:
				}
				if r, err := b.Open(t.Context(), src.ids[i%n]); err == nil {
					io.Copy(io.Discard, r)
					r.Close()
				}
			}
		})
	}
	var readers sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		readers.Go(func() { errs[i] = src.tryReadRemote(t, b, i) })
	}
	readers.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	close(done)
	openers.Wait()
	waitFor(t, "the budget", func() bool { return b.Stats().CachedBytes <= 5*cacheObj/2 })
	st := b.Stats()
	checkCached(t, b, st.CachedObjects, int64(st.CachedObjects)*cacheObj)
	if st.CachedObjects != 2 {
		t.Fatalf("%d objects cached; want 2 of %d bytes in a budget of %d", st.CachedObjects, cacheObj, 5*cacheObj/2)
	}
}

// BenchmarkCacheLoad100k measures the rebuild of the cache index when a
// node holding 100 000 objects (1 000 of them cached, each with its
// info dictionary) opens: the database is reopened before each run, as
// after a restart.
func BenchmarkCacheLoad100k(b *testing.B) {
	const total, cached = 100_000, 1_000
	dir := b.TempDir()
	db, err := badger.Open(BadgerOptions(dir))
	if err != nil {
		b.Fatal(err)
	}
	fillRecords(b, db, total, cached)
	for b.Loop() {
		b.StopTimer()
		if err := db.Close(); err != nil {
			b.Fatal(err)
		}
		if db, err = badger.Open(BadgerOptions(dir)); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		c := newCache(&Swarm{db: db, log: slog.New(slog.DiscardHandler)}, 0)
		if err := c.load(); err != nil {
			b.Fatal(err)
		}
		if n, size := c.idx.Stats(); n != cached || size != cached*cacheObj {
			b.Fatalf("loaded %d cached objects of %d bytes; want %d", n, size, cached)
		}
	}
	if err := db.Close(); err != nil {
		b.Fatal(err)
	}
}

// fillRecords writes the records and info dictionaries of total objects
// of cacheObj bytes, the first cached of them with no reference and an
// access time.
func fillRecords(tb testing.TB, db *badger.DB, total, cached int) {
	tb.Helper()
	wb := db.NewWriteBatch()
	defer wb.Cancel()
	pieceLen := infodict.PieceLength(cacheObj)
	info := infodict.Encode(cacheObj, pieceLen, make([]byte, 20*infodict.NumPieces(cacheObj, pieceLen)), [32]byte{})
	for i := range total {
		var id ID
		binary.BigEndian.PutUint64(id[:], uint64(i)*0x9e3779b97f4a7c15) // spread over the key space
		binary.BigEndian.PutUint32(id[8:], uint32(i))
		rec := &record{kind: kindFile, size: cacheObj, pieceLen: pieceLen, refs: 1}
		if i < cached {
			rec.refs = 0
			if err := wb.Set(key(prefixCache, id), binary.BigEndian.AppendUint64(nil, uint64(i+1))); err != nil {
				tb.Fatal(err)
			}
		}
		if err := wb.Set(key(prefixObject, id), rec.marshal()); err != nil {
			tb.Fatal(err)
		}
		if err := wb.Set(key(prefixInfo, id), info); err != nil {
			tb.Fatal(err)
		}
	}
	if err := wb.Flush(); err != nil {
		tb.Fatal(err)
	}
}
