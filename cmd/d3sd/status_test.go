package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/d3s/d3s/node/admin"
)

func TestStatusCommand(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	startRun(t, dir)
	var st admin.Status
	if err := json.Unmarshal([]byte(runCLI(t, "status", "--json", "--data", dir)), &st); err != nil {
		t.Fatalf("status --json is not a Status: %v", err)
	}
	if st.PeerID == "" || st.S3Addr == "" || len(st.Addrs) == 0 {
		t.Errorf("status --json = %+v", st)
	}
	text := runCLI(t, "--data", dir, "status")
	for _, want := range []string{"peer id:", st.PeerID, "s3:", st.S3Addr, "held:", "0 objects", "under-replicated:", "pending replications:", "damaged:", "received:"} {
		if !strings.Contains(text, want) {
			t.Errorf("status output lacks %q:\n%s", want, text)
		}
	}
}

func TestStatusNoDaemon(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	err := dispatch(t.Context(), []string{"status", "--data", dir}, func(string) string { return "" }, &out, &out)
	if !errors.Is(err, admin.ErrNoDaemon) || exitCode(err) != 1 || strings.Contains(err.Error(), "\n") || out.Len() != 0 {
		t.Errorf("status without a daemon: %v (exit %d), printed %q; want one line wrapping ErrNoDaemon, exit 1", err, exitCode(err), out.String())
	}
	if err := dispatch(t.Context(), []string{"status", "extra", "--data", dir}, func(string) string { return "" }, &out, &out); exitCode(err) != 2 {
		t.Errorf("status with an argument: %v, want a usage error", err)
	}
}

func TestPrintStatus(t *testing.T) {
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	st := admin.Status{
		PeerID: "12D3KooWself", S3Addr: "127.0.0.1:9000", Addrs: []string{"/ip4/127.0.0.1/tcp/4001"},
		Peers: []admin.PeerStatus{
			{ID: "12D3KooWa", Addrs: []string{"/ip4/10.0.0.1/tcp/4001"}, Connected: true},
			{ID: "12D3KooWb", Connected: false},
		},
		HeldObjects: 3, HeldBytes: 3 << 20, CachedObjects: 1, CachedBytes: 1536, CacheSize: 1 << 30,
		UnderReplicated: 2, LastRepair: now.Add(-90 * time.Second), PendingReplications: 4,
		Corrupt: 1, Repaired: 1, Loaded: 5, BytesDown: 10 << 30, RateDown: 2 << 20,
	}
	var out bytes.Buffer
	if err := printStatus(&out, st, now); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"peers:", "2 known, 1 connected",
		"held:", "3 objects, 3.0 MiB",
		"cached:", "1 objects, 1.5 KiB of 1.0 GiB",
		"under-replicated:", "2 (repair pass 1m30s ago)",
		"pending replications:", "4",
		"damaged:", "0 now, 1 found, 1 repaired since start",
		"received:", "10.0 GiB, 2.0 MiB/s now",
		"12D3KooWa", "yes", "/ip4/10.0.0.1/tcp/4001", "12D3KooWb", "no",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if got := lastRepair(time.Time{}, now); got != "no repair pass yet" {
		t.Errorf("lastRepair(zero) = %q", got)
	}
}
