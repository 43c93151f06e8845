package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestJoinByTokenAndFile(t *testing.T) {
	dir1 := filepath.Join(t.TempDir(), "n1")
	out1, _ := startRunCfg(t, testConfig(dir1))
	tok := strings.TrimSpace(runCLI(t, "token", "--data", dir1))
	fromFile, err := os.ReadFile(filepath.Join(dir1, "join-token"))
	if err != nil || strings.TrimSpace(string(fromFile)) != tok || !strings.HasPrefix(tok, "d3s1") {
		t.Fatalf("token %q, file %q, %v", tok, fromFile, err)
	}
	if !strings.Contains(out1.String(), "d3sd --join") {
		t.Errorf("first start does not say how to join:\n%s", out1)
	}
	tokenFile := filepath.Join(t.TempDir(), "tok")
	if err := os.WriteFile(tokenFile, []byte(tok+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	dirs := map[string][]string{
		"flag":      {"--join", tok},
		"file flag": {"--join-file", tokenFile},
	}
	envs := map[string]map[string]string{
		"env":      {"D3S_JOIN": tok},
		"file env": {"D3S_JOIN_FILE": tokenFile},
	}
	joined := func(name string, args []string, env map[string]string) string {
		dir := filepath.Join(t.TempDir(), name)
		opts, err := parseOptions(append([]string{"--data", dir}, args...), func(k string) string { return env[k] })
		if err != nil || opts.cfg.JoinToken != tok {
			t.Fatalf("%s: parseOptions = %q, %v", name, opts.cfg.JoinToken, err)
		}
		cfg := testConfig(dir)
		cfg.JoinToken = opts.cfg.JoinToken
		out, _ := startRunCfg(t, cfg)
		if s := out.String(); strings.Contains(s, "AWS_SECRET_ACCESS_KEY") || !strings.Contains(s, "user add NAME") {
			t.Errorf("%s: joining node printed:\n%s", name, s)
		}
		if _, err := os.Stat(filepath.Join(dir, "credentials")); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s: joining node wrote a credentials file: %v", name, err)
		}
		return dir
	}
	var joinedDirs []string
	for name, args := range dirs {
		joinedDirs = append(joinedDirs, joined(name, args, nil))
	}
	for name, env := range envs {
		joinedDirs = append(joinedDirs, joined(name, nil, env))
	}
	runCLI(t, "user", "add", "bob", "--data", dir1)
	for _, dir := range joinedDirs {
		waitFor(t, "bob listed on "+dir, nil, func() bool {
			list := runCLI(t, "user", "list", "--data", dir)
			return strings.Contains(list, "bob ") && strings.Contains(list, "admin ")
		})
	}
}

func TestTokenCommand(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "n")
	_, stop := startRun(t, dir)
	live := runCLI(t, "--data", dir, "token")
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if offline := runCLI(t, "token", "--data", dir); offline != live {
		t.Errorf("token without daemon %q, with %q", offline, live)
	}
	empty := t.TempDir()
	err := dispatch(t.Context(), []string{"token", "--data", empty}, func(string) string { return "" }, &strings.Builder{}, &strings.Builder{})
	if err == nil || exitCode(err) != 1 || !strings.Contains(err.Error(), "no join token in "+empty) {
		t.Errorf("token on a fresh dir: %v", err)
	}
}

func TestBadJoinToken(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage")
	os.WriteFile(garbage, []byte("d3s1AAAA"), 0o600)
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		wantMsg string
	}{
		{"not a token", []string{"--join", "hello"}, nil, "invalid join token"},
		{"bad checksum", []string{"--join", "d3s1AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}, nil, "invalid join token"},
		{"garbage file", []string{"--join-file", garbage}, nil, "invalid join token"},
		{"bad env", nil, map[string]string{"D3S_JOIN": "nope"}, "invalid join token"},
		{"both", []string{"--join", "x", "--join-file", garbage}, nil, "exclusive"},
		{"missing file", []string{"--join-file", filepath.Join(dir, "missing")}, nil, "no such file"},
		{"bad token file env", nil, map[string]string{"D3S_JOIN_FILE": garbage}, "invalid join token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"--data", t.TempDir()}, tt.args...)
			err := dispatch(t.Context(), args, func(k string) string { return tt.env[k] }, &strings.Builder{}, &strings.Builder{})
			if err == nil || exitCode(err) == 0 || !strings.Contains(err.Error(), tt.wantMsg) || strings.Contains(err.Error(), "\n") {
				t.Errorf("dispatch(%q) = %v; want one line containing %q, non-zero exit", args, err, tt.wantMsg)
			}
		})
	}
}

func TestJoinOtherNetworkRefused(t *testing.T) {
	dir1, dir2 := filepath.Join(t.TempDir(), "a"), filepath.Join(t.TempDir(), "b")
	_, stop1 := startRun(t, dir1)
	_, stop2 := startRun(t, dir2)
	tok := strings.TrimSpace(runCLI(t, "token", "--data", dir1))
	if err := stop2(); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(dir2)
	cfg.JoinToken = tok
	done := make(chan error, 1)
	go func() { done <- run(t.Context(), cfg, &strings.Builder{}) }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "another network") {
			t.Errorf("join a data dir of another network: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("run did not refuse")
	}
	stop1()
}

func TestStalenessFlag(t *testing.T) {
	for _, tt := range []struct {
		args []string
		env  map[string]string
		want time.Duration
		ok   bool
	}{
		{nil, nil, 0, true},
		{[]string{"--staleness", "500ms"}, nil, 500 * time.Millisecond, true},
		{nil, map[string]string{"D3S_STALENESS": "2s"}, 2 * time.Second, true},
		{[]string{"--staleness", "3s"}, map[string]string{"D3S_STALENESS": "2s"}, 3 * time.Second, true},
		{[]string{"--staleness", "soon"}, nil, 0, false},
		{[]string{"--staleness", "-1s"}, nil, 0, false},
	} {
		opts, err := parseOptions(tt.args, func(k string) string { return tt.env[k] })
		if (err == nil) != tt.ok || opts.cfg.Staleness != tt.want {
			t.Errorf("parseOptions(%q, %v): staleness %v, %v; want %v (ok %v)", tt.args, tt.env, opts.cfg.Staleness, err, tt.want, tt.ok)
		}
		var ue *usageError
		if err != nil && !errors.As(err, &ue) {
			t.Errorf("bad --staleness gave %T, want a usage error (exit 2)", err)
		}
	}
}

func TestP2PFlag(t *testing.T) {
	for _, tt := range []struct {
		args []string
		env  map[string]string
		want string
	}{
		{nil, nil, ""},
		{[]string{"--p2p", "0.0.0.0:4001"}, nil, "0.0.0.0:4001"},
		{nil, map[string]string{"D3S_P2P": "/ip4/127.0.0.1/tcp/4002"}, "/ip4/127.0.0.1/tcp/4002"},
		{[]string{"--p2p", ":4003"}, map[string]string{"D3S_P2P": ":1"}, ":4003"},
	} {
		opts, err := parseOptions(tt.args, func(k string) string { return tt.env[k] })
		if err != nil || opts.cfg.P2PAddr != tt.want {
			t.Errorf("parseOptions(%q, %v): p2p %q, %v; want %q", tt.args, tt.env, opts.cfg.P2PAddr, err, tt.want)
		}
	}
	err := dispatch(t.Context(), []string{"--data", t.TempDir(), "--s3", "127.0.0.1:0", "--p2p", "nowhere:1"}, func(string) string { return "" }, &strings.Builder{}, &strings.Builder{})
	if err == nil || !strings.Contains(err.Error(), "p2p address") {
		t.Errorf("run with a bad --p2p: %v", err)
	}
}
