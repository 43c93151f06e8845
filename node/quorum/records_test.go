package quorum

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/d3s/d3s/catalog"
)

// oneRecord fails unless recs is exactly [want].
func oneRecord(t *testing.T, what string, recs [][]byte, want []byte) {
	t.Helper()
	if len(recs) != 1 || !bytes.Equal(recs[0], want) {
		t.Fatalf("%s: got %d records (first equal: %v), want exactly the one", what, len(recs),
			len(recs) > 0 && bytes.Equal(recs[0], want))
	}
}

func TestSwapGetAndCompareAndSwap(t *testing.T) {
	ms := newNet(t, 3, 5*time.Second)
	s := newSigner(t)
	key := s.key("photos")
	ctx := t.Context()

	recs, err := ms[1].q.GetRecords(ctx, key, nil)
	if err != nil || len(recs) != 0 {
		t.Fatalf("GetRecords before any swap: %d records, %v; want none, nil", len(recs), err)
	}
	r1 := s.head("photos", 1, "a")
	if _, err := ms[0].q.SwapRecord(ctx, key, r1, [][]byte{nil}); err != nil {
		t.Fatalf("first swap: %v", err)
	}
	for i, m := range ms {
		recs, err := m.q.GetRecords(ctx, key, nil)
		if err != nil {
			t.Fatalf("member %d GetRecords: %v", i, err)
		}
		oneRecord(t, "GetRecords after the first swap", recs, r1)
	}

	// A member still holding none would refuse a swap over r1: wait for
	// the third copy, stored in the background.
	for i, m := range ms {
		waitFor(t, 5*time.Second, fmt.Sprintf("member %d stores r1", i), func() bool { return bytes.Equal(m.stored(t, key), r1) })
	}
	r2 := s.head("photos", 2, "b")
	if _, err := ms[1].q.SwapRecord(ctx, key, r2, [][]byte{r1}); err != nil {
		t.Fatalf("swap over the current record: %v", err)
	}
	// The swap returned once 2 of 3 stored r2; the third follows in the
	// background (until then it would take a swap over r1).
	for i, m := range ms {
		waitFor(t, 5*time.Second, fmt.Sprintf("member %d stores r2", i), func() bool { return bytes.Equal(m.stored(t, key), r2) })
	}
	// over names r1, which is no longer current: refused with r2.
	r3 := s.head("photos", 3, "c")
	cur, err := ms[2].q.SwapRecord(ctx, key, r3, [][]byte{r1})
	if !errors.Is(err, catalog.ErrLostRace) {
		t.Fatalf("swap with a stale over: %v, want ErrLostRace", err)
	}
	oneRecord(t, "current after a stale swap", cur, r2)
	// Right over, lower sequence: refused.
	r0 := s.head("photos", 1, "z")
	cur, err = ms[2].q.SwapRecord(ctx, key, r0, [][]byte{r2})
	if !errors.Is(err, catalog.ErrLostRace) {
		t.Fatalf("swap of an older record: %v, want ErrLostRace", err)
	}
	oneRecord(t, "current after an older swap", cur, r2)
	// The same record again, even over a stale record: accepted.
	if _, err := ms[0].q.SwapRecord(ctx, key, r2, [][]byte{r1}); err != nil {
		t.Fatalf("idempotent swap: %v", err)
	}
	for i, m := range ms {
		recs, err := m.q.GetRecords(ctx, key, nil)
		if err != nil {
			t.Fatalf("member %d GetRecords: %v", i, err)
		}
		oneRecord(t, "GetRecords at the end", recs, r2)
	}
	// A record that does not validate under key is refused before any
	// member is asked.
	if _, err := ms[0].q.SwapRecord(ctx, s.key("other"), r3, [][]byte{r2}); err == nil ||
		errors.Is(err, catalog.ErrLostRace) || errors.Is(err, catalog.ErrNoQuorum) {
		t.Fatalf("swap of a record of another bucket: %v, want a validation error", err)
	}
}

func TestGetKnownRecord(t *testing.T) {
	ms := newNet(t, 3, 5*time.Second)
	s := newSigner(t)
	key := s.key("docs")
	ctx := t.Context()
	r1 := s.head("docs", 1, "a")
	if _, err := ms[0].q.SwapRecord(ctx, key, r1, [][]byte{nil}); err != nil {
		t.Fatal(err)
	}
	// Wait until member 2 stored it too (the swap returned after 2 of 3).
	waitFor(t, 5*time.Second, "member 2 stores the record", func() bool { return bytes.Equal(ms[2].stored(t, key), r1) })

	other := s.head("docs", 5, "x")
	recs, err := ms[1].q.GetRecords(ctx, key, [][]byte{other, r1})
	if err != nil {
		t.Fatal(err)
	}
	oneRecord(t, "GetRecords with the record known", recs, r1)

	// On the wire, member 2 answers by index, not with the record.
	req := &request{op: opGet, key: key, hashes: [][sha256.Size]byte{sha256.Sum256(other), sha256.Sum256(r1)}}
	a, err := ms[1].q.ask(ctx, ms[2].id, req.encode())
	if err != nil {
		t.Fatal(err)
	}
	if a.status != stKnown || a.index != 1 || a.record != nil {
		t.Fatalf("answer to a GET of a known record: status %d index %d record %d bytes; want known, 1, none",
			a.status, a.index, len(a.record))
	}
}

func TestConcurrentSwapsOneWinner(t *testing.T) {
	ms := newNet(t, 3, 5*time.Second)
	s := newSigner(t)
	ctx := t.Context()
	for round := range 8 {
		bucket := "race" + string(rune('a'+round))
		key := s.key(bucket)
		base := s.head(bucket, 1, "base")
		if _, err := ms[0].q.SwapRecord(ctx, key, base, [][]byte{nil}); err != nil {
			t.Fatal(err)
		}
		recs := make([][]byte, len(ms))
		errs := make([]error, len(ms))
		var wg sync.WaitGroup
		for i, m := range ms {
			recs[i] = s.head(bucket, 2, "writer-"+string(rune('a'+i)))
			wg.Go(func() { _, errs[i] = m.q.SwapRecord(ctx, key, recs[i], [][]byte{base}) })
		}
		wg.Wait()
		var won [][]byte
		for i, err := range errs {
			switch {
			case err == nil:
				won = append(won, recs[i])
			case !errors.Is(err, catalog.ErrLostRace):
				t.Fatalf("round %d: swap %d: %v", round, i, err)
			}
		}
		if len(won) > 1 {
			t.Fatalf("round %d: %d concurrent swaps over one base all got a majority", round, len(won))
		}
		for i, m := range ms {
			got, err := m.q.GetRecords(ctx, key, nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range won {
				if !containsRecord(got, w) {
					t.Fatalf("round %d: member %d's majority read misses the accepted record", round, i)
				}
			}
		}
	}
}

func containsRecord(recs [][]byte, r []byte) bool {
	for _, x := range recs {
		if bytes.Equal(x, r) {
			return true
		}
	}
	return false
}

func TestMinorityDownMajorityDown(t *testing.T) {
	const timeout = 2 * time.Second
	ms := newNet(t, 5, timeout)
	s := newSigner(t)
	key := s.key("vault")
	ctx := t.Context()
	ms[3].stop()
	ms[4].stop()
	r1 := s.head("vault", 1, "a")
	if _, err := ms[0].q.SwapRecord(ctx, key, r1, [][]byte{nil}); err != nil {
		t.Fatalf("swap with 2 of 5 down: %v", err)
	}
	recs, err := ms[1].q.GetRecords(ctx, key, nil)
	if err != nil {
		t.Fatalf("get with 2 of 5 down: %v", err)
	}
	oneRecord(t, "get with 2 of 5 down", recs, r1)

	ms[2].stop()
	r2 := s.head("vault", 2, "a")
	for name, op := range map[string]func() error{
		"get":  func() error { _, err := ms[0].q.GetRecords(ctx, key, nil); return err },
		"swap": func() error { _, err := ms[0].q.SwapRecord(ctx, key, r2, [][]byte{r1}); return err },
		"lease": func() error {
			_, err := ms[0].q.Lease(ctx, "vault-lease", time.Second)
			return err
		},
	} {
		start := time.Now()
		err := op()
		took := time.Since(start)
		if !errors.Is(err, catalog.ErrNoQuorum) || !errors.Is(err, catalog.ErrUnavailable) {
			t.Fatalf("%s with 3 of 5 down: %v, want ErrNoQuorum (ErrUnavailable)", name, err)
		}
		if took > timeout+2*time.Second {
			t.Fatalf("%s with 3 of 5 down took %v, Timeout %v", name, took, timeout)
		}
	}
}

func TestMembershipLearnedFromAnswers(t *testing.T) {
	ms := newNet(t, 5, 5*time.Second)
	newcomer := ms[4]
	newcomer.mu.Lock()
	newcomer.view = []peer.ID{ms[0].id} // knows only member 0 (as from its join token)
	newcomer.mu.Unlock()
	if n := len(newcomer.q.memberSet()); n != 2 {
		t.Fatalf("newcomer knows %d members before any request, want 2", n)
	}

	s := newSigner(t)
	key := s.key("learn")
	r1 := s.head("learn", 1, "n")
	if _, err := newcomer.q.SwapRecord(t.Context(), key, r1, [][]byte{nil}); err != nil {
		t.Fatal(err)
	}
	if n := len(newcomer.q.memberSet()); n != 5 {
		t.Fatalf("newcomer knows %d members after one swap, want 5", n)
	}
	// The swap ran again over the 5 members: a majority of them (3)
	// holds the record when it returns.
	holding := 0
	for _, m := range ms {
		if bytes.Equal(m.stored(t, key), r1) {
			holding++
		}
	}
	if holding < 3 {
		t.Fatalf("%d of 5 members hold the record after the swap returned, want a majority", holding)
	}
}
