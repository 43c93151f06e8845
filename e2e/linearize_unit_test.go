package e2e

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// Unit tests of the linearizability checker (linearize_test.go) on
// histories written by hand, in milliseconds.

const ms = int64(time.Millisecond)

var errTimeout = errors.New("context deadline exceeded")

// analyse checks h with no visualisation and a generous timeout.
func analyse(t *testing.T, h *linHistory) linReport {
	t.Helper()
	r := linAnalyse(h, 30*time.Second, "")
	if len(r.Inconclusive) > 0 {
		t.Fatalf("check inconclusive: %v", r)
	}
	return r
}

func wantLinearizable(t *testing.T, h *linHistory) {
	t.Helper()
	if r := analyse(t, h); len(r.Illegal) > 0 {
		t.Fatalf("want linearizable, got %v; first: %s", r, r.First)
	}
}

// wantAnomalies wants n anomalies and stale stale reads, and the first
// anomaly's description to mention each of mention.
func wantAnomalies(t *testing.T, h *linHistory, n, stale int, mention ...string) linReport {
	t.Helper()
	r := analyse(t, h)
	if r.Anomalies != n || len(r.Stale) != stale {
		t.Fatalf("want %d anomalies and %d stale reads, got %v; first: %s", n, stale, r, r.First)
	}
	t.Logf("%v; first: %s", r, r.First)
	for _, m := range mention {
		if !strings.Contains(r.First, m) {
			t.Errorf("first anomaly %q does not mention %q", r.First, m)
		}
	}
	return r
}

func TestLinearizableConcurrent(t *testing.T) {
	h := newLinHistory()
	h.Put(0, 0, "k", "v1", 0, 10*ms, nil)
	// Overlapping the second PUT, a read may see either value.
	h.Put(1, 1, "k", "v2", 20*ms, 40*ms, nil)
	h.Get(2, 2, "k", 25*ms, 30*ms, "v2")
	h.Get(3, 3, "k", 21*ms, 35*ms, "v1") // linearized before the PUT of v2
	h.List(0, 4, []string{"k", "other"}, 50*ms, 60*ms, map[string]string{"k": "v2"})
	h.Delete(1, 0, "k", 70*ms, 80*ms, nil)
	h.Get(2, 1, "k", 90*ms, 95*ms, linAbsent)
	h.Get(3, 0, "never", 1*ms, 2*ms, linAbsent)
	wantLinearizable(t, h)
}

func TestLinearizableStaleReadAfterAck(t *testing.T) {
	h := newLinHistory()
	h.Put(0, 0, "k", "v1", 0, 10*ms, nil)
	h.Put(0, 0, "k", "v2", 20*ms, 30*ms, nil)
	h.Get(1, 3, "k", 40*ms, 50*ms, "v1")
	wantAnomalies(t, h, 1, 1, "key k: GET -> v1 via node 4", "last write acknowledged before it began: PUT v2 via node 1")
}

func TestLinearizableMissedWrite(t *testing.T) {
	h := newLinHistory()
	h.Put(0, 0, "k", "v1", 0, 10*ms, nil)
	h.Get(1, 4, "k", 11*ms, 12*ms, linAbsent)
	h.List(2, 3, []string{"k"}, 13*ms, 14*ms, nil)
	wantAnomalies(t, h, 2, 2, "GET -> absent via node 5")
}

func TestLinearizableUnknownPutRead(t *testing.T) {
	h := newLinHistory()
	h.Put(0, 3, "k", "v1", 0, 10*ms, nil)
	h.Put(0, 3, "k", "v2", 20*ms, 0, errTimeout)
	// Before and after the unknown PUT takes effect, much later.
	h.Get(1, 0, "k", 100*ms, 110*ms, "v1")
	h.Get(1, 0, "k", 5000*ms, 5010*ms, "v2")
	h.Get(1, 1, "k", 6000*ms, 6010*ms, "v2")
	wantLinearizable(t, h)
}

func TestLinearizableReadThenUnseen(t *testing.T) {
	for _, unknown := range []bool{false, true} {
		t.Run(fmt.Sprintf("unknown=%v", unknown), func(t *testing.T) {
			h := newLinHistory()
			var err error
			if unknown {
				err = errTimeout
			}
			// The PUT runs long; one read sees it, a later one not.
			h.Put(0, 0, "k", "v1", 0, 100*ms, err)
			h.Get(1, 1, "k", 10*ms, 20*ms, "v1")
			h.Get(2, 2, "k", 30*ms, 40*ms, linAbsent)
			// Acknowledged, the second read overlaps the PUT: regular,
			// not linearizable. Unknown, the PUT took effect before the
			// first read returned: the second one is stale.
			stale := 0
			if unknown {
				stale = 1
			}
			wantAnomalies(t, h, 1, stale, "GET -> absent via node 3")
		})
	}
}

func TestLinearizableListPresent(t *testing.T) {
	h := newLinHistory()
	h.Put(0, 0, "k", "v1", 0, 10*ms, nil)
	h.List(1, 1, []string{"k"}, 20*ms, 30*ms, map[string]string{"k": linPresent})
	wantLinearizable(t, h)
	h.Delete(0, 0, "k", 40*ms, 50*ms, nil)
	h.List(1, 1, []string{"k"}, 60*ms, 70*ms, map[string]string{"k": linPresent})
	// A key listed that no write created.
	h.List(1, 1, nil, 80*ms, 90*ms, map[string]string{"ghost": linPresent})
	wantAnomalies(t, h, 2, 2)
}

func TestLinearizableUnknownDelete(t *testing.T) {
	h := newLinHistory()
	h.Put(0, 0, "k", "v1", 0, 10*ms, nil)
	h.Delete(0, 4, "k", 20*ms, 0, errors.New("503 Service Unavailable"))
	h.Get(1, 1, "k", 30*ms, 40*ms, "v1")
	h.Get(1, 1, "k", 50*ms, 60*ms, linAbsent)
	wantLinearizable(t, h)
	h.Get(1, 1, "k", 70*ms, 80*ms, "v1")                               // the delete took effect: v1 cannot come back
	wantAnomalies(t, h, 1, 0, "GET -> v1 via node 2 [0.070s, 0.080s]") // regular: the delete may come later
}

// TestLinearizablePrune checks that unknown writes no read saw are left
// out, so that a long partition's refused writes cost the checker
// nothing, and that a write some read saw is kept.
func TestLinearizablePrune(t *testing.T) {
	h := newLinHistory()
	for i := range 1000 {
		h.Put(i%4, 4, "k", fmt.Sprintf("r%d", i), int64(i)*ms, 0, errTimeout)
		h.Delete(i%4, 4, "k", int64(i)*ms, 0, errTimeout)
	}
	h.Put(0, 0, "k", "seen", 0, 0, errTimeout)
	h.Get(1, 0, "k", 1100*ms, 1200*ms, "seen")
	r := analyse(t, h)
	if r.Pruned != 2000 || r.Ops != 2 || len(r.Illegal) > 0 {
		t.Fatalf("got %v, want 2000 pruned, 2 checked, linearizable", r)
	}
}

// TestLinearizableCountsStaleReads is eventual consistency across a
// partition: a node that missed a write serves the old value five times.
func TestLinearizableCountsStaleReads(t *testing.T) {
	h := newLinHistory()
	h.Put(0, 0, "k", "v1", 0, 10*ms, nil)
	h.Get(1, 0, "k", 20*ms, 30*ms, "v1")
	h.Mark("cut", 35*ms)
	h.Put(0, 0, "k", "v2", 40*ms, 50*ms, nil)
	for i := range int64(5) {
		h.Get(1, 4, "k", (60+10*i)*ms, (65+10*i)*ms, "v1")
		h.Get(2, 1, "k", (60+10*i)*ms, (65+10*i)*ms, "v2")
	}
	r := wantAnomalies(t, h, 5, 5, "GET -> v1 via node 5 [0.060s, 0.065s]", "cut at 0.035s")
	if len(r.Illegal) != 1 || r.Illegal[0] != "k" {
		t.Errorf("illegal keys %v, want [k]", r.Illegal)
	}
}

// TestLinearizableConcurrentClients records a history from goroutines
// against a register that is linearizable by construction (a mutex map),
// through checkLinearizable, which must pass it.
func TestLinearizableConcurrentClients(t *testing.T) {
	var mu sync.Mutex
	store := map[string]string{}
	h := newLinHistory()
	keys := []string{"a", "b", "c", "d"}
	var wg sync.WaitGroup
	for c := range 8 {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(c), 1))
			for i := range 300 {
				key := keys[r.IntN(len(keys))]
				call := h.Now()
				mu.Lock()
				switch p := r.IntN(10); {
				case p < 4:
					v := fmt.Sprintf("c%d-%d", c, i)
					store[key] = v
					mu.Unlock()
					var err error
					if p == 0 { // the answer was lost: outcome unknown
						err = errTimeout
					}
					h.Put(c, c%5, key, v, call, h.Now(), err)
				case p < 5:
					delete(store, key)
					mu.Unlock()
					h.Delete(c, c%5, key, call, h.Now(), nil)
				case p < 8:
					v, ok := store[key]
					mu.Unlock()
					if !ok {
						v = linAbsent
					}
					h.Get(c, c%5, key, call, h.Now(), v)
				default:
					seen := map[string]string{}
					for k, v := range store {
						seen[k] = v
					}
					mu.Unlock()
					h.List(c, c%5, keys, call, h.Now(), seen)
				}
			}
		})
	}
	wg.Wait()
	r := checkLinearizable(t, h, time.Minute)
	if r.Ops < 2000 || r.Visual != "" {
		t.Errorf("got %v, visualisation %q", r, r.Visual)
	}
}

// TestLinearizableVisualisation checks that an illegal history leaves an
// HTML visualisation where it is asked to.
func TestLinearizableVisualisation(t *testing.T) {
	h := newLinHistory()
	h.Put(0, 0, "k", "v1", 0, 10*ms, nil)
	h.Get(1, 1, "k", 20*ms, 30*ms, linAbsent)
	h.Mark("cut", 15*ms)
	dir := t.TempDir()
	r := linAnalyse(h, 30*time.Second, dir)
	if r.Anomalies != 1 || !strings.HasPrefix(r.Visual, dir) {
		t.Fatalf("got %v, visualisation %q", r, r.Visual)
	}
	b, err := os.ReadFile(r.Visual)
	if err != nil || !strings.Contains(string(b), "<html") {
		t.Fatalf("visualisation: %v (%d bytes)", err, len(b))
	}
}

// TestLinearizableManyUnknownDeletes is a strong-mode history: a
// linearizable register per key and many writes refused by a minority
// (outcome unknown), deletes among them that reads of "absent" keep in the
// history, plus one stale read. Searching which of n such deletes took
// effect is 2^n without their ranking (see linModel); with it the check
// finds the stale read at once.
func TestLinearizableManyUnknownDeletes(t *testing.T) {
	h := newLinHistory()
	store := map[string]string{}
	rng := rand.New(rand.NewPCG(1, 2))
	now := int64(0)
	for i := range 1600 {
		key := fmt.Sprintf("k%d", rng.IntN(2))
		call := now - int64(rng.IntN(5))*ms // overlapping operations
		now += int64(rng.IntN(3)+1) * ms
		c := rng.IntN(5)
		switch p := rng.IntN(100); {
		case p < 10:
			h.Delete(c, 4, key, call, now, errTimeout)
		case p < 20:
			h.Put(c, 4, key, fmt.Sprintf("x%d", i), call, now, errTimeout)
		case p < 40:
			store[key] = fmt.Sprintf("v%d", i)
			h.Put(c, 0, key, store[key], call, now, nil)
		case p < 50:
			delete(store, key)
			h.Delete(c, 0, key, call, now, nil)
		default:
			v, ok := store[key]
			if !ok {
				v = linAbsent
			}
			h.Get(c, 1, key, call, now, v)
		}
	}
	start := time.Now()
	wantLinearizable(t, h)
	t.Logf("linearizable: %v", time.Since(start))
	h.Get(0, 3, "k1", now+1*ms, now+2*ms, "never-written")
	defer func(start time.Time) { t.Logf("illegal: %v", time.Since(start)) }(time.Now())
	wantAnomalies(t, h, 1, 1, "key k1: GET -> never-writte")
}
