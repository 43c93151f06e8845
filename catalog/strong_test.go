package catalog

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/d3s/d3s/dht/record"
)

// memQuorum is an in-memory Quorum of members each holding one record
// per key and swapping it only over a record in the caller's over set,
// as node/quorum's members do. deliver is the chance that a member takes
// part in an operation (1: all of them), so that swaps land on some
// members only, as when writers race.
type memQuorum struct {
	v       record.Validator
	mu      sync.Mutex
	members []map[string][]byte
	deliver float64
	down    bool // no member answers: ErrNoQuorum
	leases  map[string]leaseHold
	swaps   int
}

type leaseHold struct {
	holder int
	until  time.Time
}

func newMemQuorum(members int, deliver float64) *memQuorum {
	q := &memQuorum{deliver: deliver, leases: make(map[string]leaseHold)}
	for range members {
		q.members = append(q.members, make(map[string][]byte))
	}
	return q
}

func (q *memQuorum) majority() int { return len(q.members)/2 + 1 }

// reached returns the members an operation reaches; q.mu is held.
func (q *memQuorum) reached() []int {
	var out []int
	for i := range q.members {
		if q.deliver >= 1 || rand.Float64() < q.deliver {
			out = append(out, i)
		}
	}
	return out
}

func (q *memQuorum) GetRecords(ctx context.Context, key string, known [][]byte) ([][]byte, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	got := q.reached()
	if q.down || len(got) < q.majority() {
		return nil, fmt.Errorf("%d answers: %w", len(got), ErrNoQuorum)
	}
	var out [][]byte
	for _, i := range got[:q.majority()] {
		if r := q.members[i][key]; r != nil && !containsBytes(out, r) {
			out = append(out, r)
		}
	}
	return out, nil
}

func (q *memQuorum) SwapRecord(ctx context.Context, key string, value []byte, over [][]byte) ([][]byte, error) {
	if err := q.v.Validate(key, value); err != nil {
		return nil, err
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.down {
		return nil, ErrNoQuorum
	}
	q.swaps++
	accepted, refused := 0, 0
	var current [][]byte
	for _, i := range q.reached() {
		cur := q.members[i][key]
		ok := cur == nil || bytes.Equal(cur, value)
		if !ok && containsBytes(over, cur) {
			best, err := q.v.Select(key, [][]byte{value, cur})
			ok = err == nil && best == 0
		}
		if ok {
			q.members[i][key] = value
			accepted++
			continue
		}
		refused++
		if !containsBytes(current, cur) {
			current = append(current, cur)
		}
	}
	switch {
	case accepted >= q.majority():
		return nil, nil
	case refused > len(q.members)-q.majority():
		return current, fmt.Errorf("%d refused: %w", refused, ErrLostRace)
	}
	return current, fmt.Errorf("%d accepted, %d refused: %w", accepted, refused, ErrNoQuorum)
}

func (q *memQuorum) Lease(ctx context.Context, name string, ttl time.Duration) (func(), error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	id := rand.Int()
	if h, ok := q.leases[name]; ok && time.Now().Before(h.until) {
		return nil, ErrLeaseHeld
	}
	q.leases[name] = leaseHold{holder: id, until: time.Now().Add(ttl)}
	return func() {
		q.mu.Lock()
		defer q.mu.Unlock()
		if q.leases[name].holder == id {
			delete(q.leases, name)
		}
	}, nil
}

// strongNode starts a catalogue of n in strong mode over q.
func (n *testNet) strongNode(t testing.TB, id string, q *memQuorum, maxRecent int) *Catalog {
	t.Helper()
	cfg := n.syncConfig(id)
	cfg.Quorum, cfg.MaxRecent = q, maxRecent
	if testing.Verbose() {
		cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return n.start(t, openDB(t, t.TempDir()), cfg)
}

// ackedPut is a strong-mode write as a node acknowledges it: committed,
// then published to a majority.
func ackedPut(ctx context.Context, c *Catalog, user, bucket string, e *Entry) error {
	for {
		err := c.Refresh(ctx, user, bucket)
		if err == nil {
			break
		}
		if !errors.Is(err, ErrUnavailable) {
			return err
		}
	}
	if _, err := c.Put(ctx, user, bucket, e, nil); err != nil {
		return err
	}
	wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	return c.AwaitPublished(wctx, user, bucket)
}

// readStrong is a strong-mode GET as a node serves it.
func readStrong(ctx context.Context, c *Catalog, user, bucket, key string) (*Entry, error) {
	if err := c.Refresh(ctx, user, bucket); err != nil {
		return nil, err
	}
	return c.Get(ctx, user, bucket, key)
}

func TestStrongReadAfterWrite(t *testing.T) {
	n := newNet(t)
	q := newMemQuorum(5, 1)
	nodes := []*Catalog{n.strongNode(t, "node-a", q, 0), n.strongNode(t, "node-b", q, 0), n.strongNode(t, "node-c", q, 0)}
	if err := nodes[0].CreateBucket(t.Context(), n.user, "bkt"); err != nil {
		t.Fatal(err)
	}
	if err := nodes[0].AwaitPublished(t.Context(), n.user, ""); err != nil {
		t.Fatal(err)
	}
	for i := range 300 {
		w, r := nodes[i%3], nodes[(i+1+i/3%2)%3]
		key := fmt.Sprintf("k%d", i%40)
		e := &Entry{Key: key, Size: int64(i), ETag: fmt.Sprint(i)}
		if err := ackedPut(t.Context(), w, n.user, "bkt", e); err != nil {
			t.Fatalf("put %d: %v", i, err)
		}
		got, err := readStrong(t.Context(), r, n.user, "bkt", key)
		if err != nil || got.ETag != e.ETag {
			t.Fatalf("trial %d: read on another node = %+v, %v; want ETag %s", i, got, err, e.ETag)
		}
		if i%7 == 0 {
			if _, err := w.Delete(t.Context(), n.user, "bkt", key); err != nil {
				t.Fatal(err)
			}
			if err := w.AwaitPublished(t.Context(), n.user, "bkt"); err != nil {
				t.Fatal(err)
			}
			if got, err := readStrong(t.Context(), r, n.user, "bkt", key); !errors.Is(err, ErrNotFound) {
				t.Fatalf("trial %d: read after delete = %+v, %v; want ErrNotFound", i, got, err)
			}
		}
	}
	// A bucket created on one node exists on another at once.
	if err := nodes[1].CreateBucket(t.Context(), n.user, "bkt2"); err != nil {
		t.Fatal(err)
	}
	if err := nodes[1].AwaitPublished(t.Context(), n.user, ""); err != nil {
		t.Fatal(err)
	}
	if err := nodes[2].Refresh(t.Context(), n.user, "bkt2"); err != nil {
		t.Fatal(err)
	}
	if _, err := nodes[2].HeadBucket(t.Context(), n.user, "bkt2"); err != nil {
		t.Fatalf("bucket created elsewhere: %v", err)
	}
}

// TestStrongRacingWritersLoseNothing: writers on three nodes race on a
// quorum whose members each take part in an operation with chance 0.7, so
// swaps land on some members only and records diverge; small MaxRecent
// makes them cut snapshots concurrently too. Every acknowledged write is
// seen by every node's next strong read.
func TestStrongRacingWritersLoseNothing(t *testing.T) {
	n := newNet(t)
	q := newMemQuorum(5, 0.6)
	nodes := []*Catalog{n.strongNode(t, "node-a", q, racingRecent), n.strongNode(t, "node-b", q, racingRecent), n.strongNode(t, "node-c", q, racingRecent)}
	ctx := t.Context()
	if err := nodes[0].CreateBucket(ctx, n.user, "bkt"); err != nil {
		t.Fatal(err)
	}
	if err := nodes[0].AwaitPublished(ctx, n.user, ""); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	acked := map[string]string{} // key -> ETag of its last acknowledged write
	var wg sync.WaitGroup
	for w, c := range nodes {
		wg.Go(func() {
			for i := range 60 {
				key := fmt.Sprintf("w%d-%03d", w, i)
				e := &Entry{Key: key, Size: int64(i), ETag: fmt.Sprintf("%d-%d", w, i), Writer: fmt.Sprint(w)}
				if err := ackedPut(ctx, c, n.user, "bkt", e); err != nil {
					t.Errorf("put %s: %v", key, err)
					return
				}
				mu.Lock()
				acked[key] = e.ETag
				mu.Unlock()
				// Read back a random earlier acknowledged key on another node.
				mu.Lock()
				keys := slices.Collect(mapsKeys(acked))
				mu.Unlock()
				k := keys[rand.IntN(len(keys))]
				mu.Lock()
				want := acked[k]
				mu.Unlock()
				other := nodes[(w+1+i%2)%3]
				var got *Entry
				var err error
				for range 100 { // ErrNoQuorum is an answer to retry
					if got, err = readStrong(ctx, other, n.user, "bkt", k); !errors.Is(err, ErrUnavailable) {
						break
					}
				}
				if err != nil || got.ETag != want {
					t.Errorf("read %s on another node after its ack = %+v, %v; want ETag %s", k, got, err, want)
					return
				}
			}
		})
	}
	wg.Wait()
	q.mu.Lock()
	q.deliver = 1
	q.mu.Unlock()
	for i, c := range nodes {
		if err := c.Refresh(ctx, n.user, "bkt"); err != nil {
			t.Fatal(err)
		}
		keys := listKeys(t, c, n.user, "bkt")
		if len(keys) != len(acked) {
			t.Errorf("node %d lists %d keys, %d acknowledged", i, len(keys), len(acked))
		}
	}
	t.Logf("%d swaps for %d writes", q.swaps, len(acked))
}

func mapsKeys(m map[string]string) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// TestStrongNoQuorum: without a majority, reads and acknowledgements
// fail with ErrUnavailable, never serve the cache or succeed.
func TestStrongNoQuorum(t *testing.T) {
	n := newNet(t)
	q := newMemQuorum(3, 1)
	a := n.strongNode(t, "node-a", q, 0)
	ctx := t.Context()
	if err := a.CreateBucket(ctx, n.user, "bkt"); err != nil {
		t.Fatal(err)
	}
	if err := a.AwaitPublished(ctx, n.user, ""); err != nil {
		t.Fatal(err)
	}
	q.mu.Lock()
	q.down = true
	q.mu.Unlock()
	if err := a.Refresh(ctx, n.user, "bkt"); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("refresh without a quorum = %v, want ErrUnavailable", err)
	}
	if _, err := a.Put(ctx, n.user, "bkt", &Entry{Key: "k"}, nil); err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancel()
	if err := a.AwaitPublished(wctx, n.user, "bkt"); err == nil {
		t.Fatal("write acknowledged without a quorum")
	}
	q.mu.Lock()
	q.down = false
	q.mu.Unlock()
	if err := a.AwaitPublished(ctx, n.user, "bkt"); err != nil {
		t.Fatalf("publish after the quorum came back: %v", err)
	}
}

func TestStrongExclusive(t *testing.T) {
	n := newNet(t)
	q := newMemQuorum(3, 1)
	a, b := n.strongNode(t, "node-a", q, 0), n.strongNode(t, "node-b", q, 0)
	release, err := a.Exclusive(t.Context(), n.user, "bkt", "k")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	go func() { time.Sleep(200 * time.Millisecond); release() }()
	release2, err := b.Exclusive(t.Context(), n.user, "bkt", "k")
	if err != nil {
		t.Fatal(err)
	}
	release2()
	if time.Since(start) < 150*time.Millisecond {
		t.Fatal("second lease granted while the first was held")
	}
}

const racingRecent = 16 // cuts snapshots often, concurrently on every node
