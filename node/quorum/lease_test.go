package quorum

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/d3s/d3s/catalog"
)

// waitReady waits until every member grants leases (maxLeaseTTL after
// it started).
func waitReady(t *testing.T, ms []*member) {
	t.Helper()
	for _, m := range ms {
		waitFor(t, maxLeaseTTL+5*time.Second, "member grants leases", func() bool {
			return !time.Now().Before(m.q.readyAt)
		})
	}
}

func TestLeaseRaceAndRelease(t *testing.T) {
	ms := newNet(t, 3, 5*time.Second)
	waitReady(t, ms)
	ctx := t.Context()
	for round := range 6 {
		name := "lease-" + string(rune('a'+round))
		rel := make([]func(), 2)
		errs := make([]error, 2)
		var wg sync.WaitGroup
		for i := range 2 {
			wg.Go(func() { rel[i], errs[i] = ms[i].q.Lease(ctx, name, 5*time.Second) })
		}
		wg.Wait()
		if errs[0] == nil && errs[1] == nil {
			t.Fatalf("round %d: both nodes hold the lease", round)
		}
		winner := -1
		for i, err := range errs {
			switch {
			case err == nil:
				winner = i
			case !errors.Is(err, catalog.ErrLeaseHeld) && !errors.Is(err, catalog.ErrNoQuorum):
				t.Fatalf("round %d: node %d: %v", round, i, err)
			}
		}
		if winner < 0 {
			continue // both lost: allowed, nothing to release
		}
		loser := 1 - winner
		if !errors.Is(errs[loser], catalog.ErrLeaseHeld) {
			t.Fatalf("round %d: loser's error %v, want ErrLeaseHeld", round, errs[loser])
		}
		// While the winner holds it, nobody else gets it.
		if _, err := ms[2].q.Lease(ctx, name, time.Second); !errors.Is(err, catalog.ErrLeaseHeld) {
			t.Fatalf("round %d: third node while held: %v, want ErrLeaseHeld", round, err)
		}
		rel[winner]()
		var again func()
		waitFor(t, 5*time.Second, "the loser takes the released lease", func() bool {
			var err error
			again, err = ms[loser].q.Lease(ctx, name, 5*time.Second)
			return err == nil
		})
		again()
	}
}

func TestLeaseExpires(t *testing.T) {
	ms := newNet(t, 3, 5*time.Second)
	waitReady(t, ms)
	ctx := t.Context()
	const ttl = 500 * time.Millisecond
	start := time.Now()
	until, _, err := ms[0].q.LeaseUntil(ctx, "exp", ttl)
	if err != nil {
		t.Fatal(err)
	}
	if !until.Before(start.Add(ttl)) {
		t.Fatalf("lease trusted until %v after the call, beyond its ttl %v", until.Sub(start), ttl)
	}
	// Never released: another node gets it once the ttl has run.
	waitFor(t, 5*time.Second, "lease taken after the ttl", func() bool {
		_, err := ms[1].q.Lease(ctx, "exp", ttl)
		if err == nil && time.Now().Before(until) {
			t.Fatalf("lease granted to another node %v before the holder's trust ends", until.Sub(time.Now()))
		}
		return err == nil
	})
}

func TestLeaseRefusedAfterRestart(t *testing.T) {
	ms := newNet(t, 3, 5*time.Second)
	waitReady(t, ms)
	ctx := t.Context()
	release, err := ms[0].q.Lease(ctx, "r", 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	// Members 1 and 2 restart: they forgot the grant. A member that had
	// granted a lease refuses every grant until its stored horizon (the
	// end of what it granted) has passed, so member 2 cannot take the
	// lease member 0 still holds.
	restarted := time.Now()
	granted := []bool{false, ms[1].q.grantedUntil.After(restarted), ms[2].q.grantedUntil.After(restarted)}
	ms[1].q = ms[1].newQuorum(5 * time.Second)
	ms[2].q = ms[2].newQuorum(5 * time.Second)
	if _, err := ms[2].q.Lease(ctx, "r", time.Second); err == nil {
		t.Fatal("a lease held before a restart was granted again")
	}
	for i := 1; i <= 2; i++ {
		if a := ms[i].q.grant("fresh", [16]byte{1}, time.Second); granted[i] && a.status != stNotReady {
			t.Fatalf("restarted member %d, which had granted a lease: status %d, want not ready", i, a.status)
		}
	}
	if !granted[1] && !granted[2] {
		t.Fatal("neither restarted member had granted the lease")
	}
	waitFor(t, maxLeaseTTL+5*time.Second, "lease after the restart hold", func() bool {
		rel, err := ms[2].q.Lease(ctx, "fresh", time.Second)
		if err == nil {
			rel()
		}
		return err == nil
	})
}
