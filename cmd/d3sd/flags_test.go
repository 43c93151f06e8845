package main

import (
	"bytes"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/d3s/d3s/node/admin"
)

func TestParseOptions(t *testing.T) {
	tests := []struct {
		name      string
		args      []string
		env       map[string]string
		wantData  string
		wantS3    string
		wantDom   string
		wantLevel slog.Level
		wantArgs  []string
		wantErr   bool
	}{
		{name: "defaults", wantData: "./d3s-data", wantS3: "127.0.0.1:9000", wantLevel: slog.LevelInfo},
		{name: "flags", args: []string{"--data", "/d", "--s3", ":9100", "--domain", "s3.local", "--log-level", "debug"},
			wantData: "/d", wantS3: ":9100", wantDom: "s3.local", wantLevel: slog.LevelDebug},
		{name: "single dash and equals", args: []string{"-data=/x", "-log-level=WARN"},
			wantData: "/x", wantS3: "127.0.0.1:9000", wantLevel: slog.LevelWarn},
		{name: "env", env: map[string]string{"D3S_DATA": "/e", "D3S_S3": "0.0.0.0:1", "D3S_DOMAIN": "d", "D3S_LOG_LEVEL": "error"},
			wantData: "/e", wantS3: "0.0.0.0:1", wantDom: "d", wantLevel: slog.LevelError},
		{name: "flag wins over env", args: []string{"--data", "/flag", "--log-level", "info"},
			env:      map[string]string{"D3S_DATA": "/env", "D3S_LOG_LEVEL": "debug"},
			wantData: "/flag", wantS3: "127.0.0.1:9000", wantLevel: slog.LevelInfo},
		{name: "subcommand after flags", args: []string{"--data", "/d", "user", "add", "bob"},
			wantData: "/d", wantS3: "127.0.0.1:9000", wantLevel: slog.LevelInfo, wantArgs: []string{"user", "add", "bob"}},
		{name: "unknown flag", args: []string{"--bogus"}, wantErr: true},
		{name: "flag missing value", args: []string{"--data"}, wantErr: true},
		{name: "bad log level", args: []string{"--log-level", "loud"}, wantErr: true},
		{name: "bad log level in env", env: map[string]string{"D3S_LOG_LEVEL": "trace"}, wantErr: true},
		{name: "empty data", args: []string{"--data="}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts, err := parseOptions(tt.args, func(k string) string { return tt.env[k] })
			if tt.wantErr {
				var ue *usageError
				if !errors.As(err, &ue) {
					t.Fatalf("parseOptions = %+v, %v; want a usage error", opts, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseOptions: %v", err)
			}
			c := opts.cfg
			if c.DataDir != tt.wantData || c.S3Addr != tt.wantS3 || c.Domain != tt.wantDom ||
				opts.level != tt.wantLevel || !slices.Equal(opts.args, tt.wantArgs) {
				t.Errorf("parseOptions = %+v (level %v)", opts, opts.level)
			}
		})
	}
}

func TestDispatchUsageErrors(t *testing.T) {
	noDaemon := t.TempDir()
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantMsg  string
	}{
		{"unknown command", []string{"frobnicate"}, 2, "unknown command"},
		{"unknown flag", []string{"--nope"}, 2, "flag provided but not defined"},
		{"user without subcommand", []string{"user"}, 2, "missing subcommand"},
		{"user add without name", []string{"user", "add"}, 2, "exactly one NAME"},
		{"user add two names", []string{"user", "add", "a", "b"}, 2, "exactly one NAME"},
		{"user unknown subcommand", []string{"user", "delete", "a"}, 2, "unknown subcommand"},
		{"user remove without name", []string{"user", "remove"}, 2, "exactly one NAME"},
		{"user rotate two names", []string{"user", "rotate", "a", "b"}, 2, "exactly one NAME"},
		{"no daemon for remove", []string{"--data", noDaemon, "user", "remove", "bob"}, 1, "no d3sd running"},
		{"user list extra", []string{"user", "list", "x"}, 2, "unexpected argument"},
		{"user bad flag", []string{"user", "list", "--bogus"}, 2, "flag provided but not defined"},
		{"version extra", []string{"version", "x"}, 2, "unexpected argument"},
		{"no daemon", []string{"user", "list", "--data", noDaemon}, 1, "no d3sd running with data dir " + noDaemon},
		{"no daemon for add", []string{"--data", noDaemon, "user", "add", "bob"}, 1, "no d3sd running"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			err := dispatch(t.Context(), tt.args, func(string) string { return "" }, &out, &errOut)
			if err == nil {
				t.Fatalf("dispatch(%q) succeeded, printed %q", tt.args, out.String())
			}
			if got := exitCode(err); got != tt.wantCode || !strings.Contains(err.Error(), tt.wantMsg) || strings.Contains(err.Error(), "\n") {
				t.Errorf("dispatch(%q) = %q (exit %d), want one line containing %q, exit %d", tt.args, err, got, tt.wantMsg, tt.wantCode)
			}
			if tt.wantCode == 1 && !errors.Is(err, admin.ErrNoDaemon) {
				t.Errorf("error %v does not wrap ErrNoDaemon", err)
			}
		})
	}
}

func TestVersionAndHelp(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"-h"}, {"help"}} {
		var out bytes.Buffer
		if err := dispatch(t.Context(), args, func(string) string { return "" }, &out, &out); err != nil {
			t.Errorf("dispatch(%q): %v", args, err)
		}
		if !strings.Contains(out.String(), "d3sd") {
			t.Errorf("dispatch(%q) printed %q", args, out.String())
		}
	}
}

func TestEndpointURL(t *testing.T) {
	for addr, want := range map[string]string{
		"127.0.0.1:9000": "http://127.0.0.1:9000",
		"0.0.0.0:9000":   "http://127.0.0.1:9000",
		"[::]:9000":      "http://127.0.0.1:9000",
		":9000":          "http://127.0.0.1:9000",
		"[::1]:80":       "http://[::1]:80",
		"s3.local:9000":  "http://s3.local:9000",
	} {
		if got := endpointURL(addr); got != want {
			t.Errorf("endpointURL(%q) = %q, want %q", addr, got, want)
		}
	}
}

func TestReplicaFlags(t *testing.T) {
	tests := []struct {
		args          []string
		env           map[string]string
		replicas      int
		sync          int
		wantUsageFail bool
	}{
		{args: nil, replicas: 0, sync: 0},
		{args: []string{"--replicas", "5", "--sync-replicas", "3"}, replicas: 5, sync: 3},
		{args: []string{"--sync-replicas", "1"}, replicas: 0, sync: 1},
		{env: map[string]string{"D3S_REPLICAS": "2"}, replicas: 2},
		{args: []string{"--replicas", "0"}, wantUsageFail: true},
		{args: []string{"--replicas", "x"}, wantUsageFail: true},
		{args: []string{"--replicas", "2", "--sync-replicas", "3"}, wantUsageFail: true},
		{args: []string{"--sync-replicas", "4"}, wantUsageFail: true}, // default R is 3
	}
	for _, tc := range tests {
		opts, err := parseOptions(tc.args, func(k string) string { return tc.env[k] })
		var ue *usageError
		if tc.wantUsageFail {
			if !errors.As(err, &ue) {
				t.Errorf("%v: err %v, want a usage error", tc.args, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%v: %v", tc.args, err)
			continue
		}
		if opts.cfg.Replicas != tc.replicas || opts.cfg.SyncReplicas != tc.sync {
			t.Errorf("%v %v: replicas %d sync %d, want %d %d", tc.args, tc.env, opts.cfg.Replicas, opts.cfg.SyncReplicas, tc.replicas, tc.sync)
		}
	}
}
