package users

import (
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"

	"github.com/d3s/d3s/dht"
	"github.com/d3s/d3s/s3"
)

// newTestHost starts a libp2p host of the network netKey in a fresh dir.
func newTestHost(t *testing.T, u *DB) *dht.Host {
	t.Helper()
	dir := t.TempDir()
	key, err := dht.LoadOrCreateNodeKey(filepath.Join(dir, "node.key"))
	if err != nil {
		t.Fatal(err)
	}
	h, err := dht.NewHost(dht.HostConfig{Key: key, NetworkKey: u.network, DB: openUsersBadger(t, dir),
		ListenAddrs: []string{"/ip4/127.0.0.1/tcp/0"}, Protocols: []protocol.ID{Protocol}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return h
}

// TestRejoinWaitsForMerge runs the user sync of node B over real libp2p
// against a member A that holds a newer record of B's user (it rotated
// the secret while B was away) and answers B's exchange only when the test
// says so. B, alone, serves the old secret (offline-first); connected to
// A it answers no request with the old secret before it has merged, and
// gives the new one after; when A never answers, B answers 503.
func TestRejoinWaitsForMerge(t *testing.T) {
	b, _ := newTestUsers(t)
	ctx := t.Context()
	old, err := b.Add(ctx, "nina")
	if err != nil {
		t.Fatal(err)
	}
	// The member's database: the same user, rotated.
	a := Open(openUsersBadger(t, t.TempDir()), b.network, slog.New(slog.NewTextHandler(io.Discard, nil)))
	merge(t, b, a)
	rotated, err := a.Rotate(ctx, "nina")
	if err != nil {
		t.Fatal(err)
	}
	hostB := newTestHost(t, b)
	var wg sync.WaitGroup
	t.Cleanup(wg.Wait)
	syncB := NewSync(ctx, hostB, nil, b, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err := syncB.Run(ctx, &wg); err != nil {
		t.Fatal(err)
	}
	b.Attach(syncB)
	if _, secret, err := b.LookupUser(ctx, old.AccessKeyID); err != nil || secret != old.SecretAccessKey {
		t.Fatalf("alone, B serves %v; want its own record (offline-first)", err)
	}

	release := make(chan struct{})
	hostA := newTestHost(t, b)
	hostA.SetStreamHandler(Protocol, func(st network.Stream) { // A answers when released
		defer st.Close()
		if _, _, err := readBatch(st); err != nil {
			st.Reset()
			return
		}
		select {
		case <-release:
		case <-ctx.Done():
			st.Reset()
			return
		}
		recs, _ := a.Records(ctx)
		out := make([][]byte, 0, len(recs))
		for _, r := range recs {
			out = append(out, r)
		}
		writeBatch(st, out, false)
	})
	if err := hostB.Connect(ctx, peer.AddrInfo{ID: hostA.ID(), Addrs: hostA.Addrs()}); err != nil {
		t.Fatal(err)
	}
	// A is a slow member: it answers 300 ms after B asks (a simulated
	// delay, not a wait on a condition). B's lookup starts at once.
	go func() { time.Sleep(300 * time.Millisecond); close(release) }()
	_, secret, err := b.LookupUser(ctx, old.AccessKeyID)
	if err != nil || secret != rotated.SecretAccessKey {
		t.Fatalf("B's first lookup after rejoining = %v (old secret: %v); want the rotated secret", err, secret == old.SecretAccessKey)
	}

	// Cut off and rejoined again, now with a member that never answers.
	hostB.Network().ClosePeer(hostA.ID())
	mute := newTestHost(t, b)
	mute.SetStreamHandler(Protocol, func(st network.Stream) { <-ctx.Done(); st.Reset() })
	waitFor(t, 5*time.Second, "B has no member", func() bool { return len(hostB.Network().Peers()) == 0 })
	if err := hostB.Connect(ctx, peer.AddrInfo{ID: mute.ID(), Addrs: mute.Addrs()}); err != nil {
		t.Fatal(err)
	}
	_, _, err = b.LookupUser(ctx, old.AccessKeyID)
	if s3.AsCode(err) != s3.ErrSlowDown || !errors.Is(err, ErrNotSynced) {
		t.Errorf("lookup with an unmerged member = %v, want 503 SlowDown", err)
	}
}

// waitFor polls cond until it holds or d passes.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(d); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("not within %v: %s", d, what)
		}
	}
}
