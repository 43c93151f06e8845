package main

import (
	"errors"
	"testing"
	"time"
)

func TestParseSize(t *testing.T) {
	tests := []struct {
		in      string
		want    int64
		wantErr bool
	}{
		{in: "0", want: 0},
		{in: "4096", want: 4096},
		{in: "-1", want: -1},
		{in: "512MiB", want: 512 << 20},
		{in: "10GiB", want: 10 << 30},
		{in: "10gib", want: 10 << 30},
		{in: "1.5GiB", want: 3 << 29},
		{in: "2G", want: 2 << 30},
		{in: "64k", want: 64 << 10},
		{in: "1MB", want: 1e6},
		{in: "3 TB", want: 3e12},
		{in: "100B", want: 100},
		{in: "", wantErr: true},
		{in: "MiB", wantErr: true},
		{in: "ten", wantErr: true},
		{in: "12XB", wantErr: true},
		{in: "9000000000TiB", wantErr: true},
	}
	for _, tc := range tests {
		got, err := parseSize(tc.in)
		if tc.wantErr != (err != nil) || (!tc.wantErr && got != tc.want) {
			t.Errorf("parseSize(%q) = %d, %v; want %d, error %v", tc.in, got, err, tc.want, tc.wantErr)
		}
	}
}

func TestTuningFlags(t *testing.T) {
	tests := []struct {
		name      string
		args      []string
		env       map[string]string
		cache     int64
		repair    time.Duration
		scrub     time.Duration
		rate      int64
		wantUsage bool
	}{
		{name: "defaults"},
		{name: "flags", args: []string{"--cache-size", "512MiB", "--repair-interval", "10s", "--scrub-interval", "12h", "--scrub-rate", "32MiB"},
			cache: 512 << 20, repair: 10 * time.Second, scrub: 12 * time.Hour, rate: 32 << 20},
		{name: "no cache", args: []string{"--cache-size=-1"}, cache: -1},
		{name: "rate per second", args: []string{"--scrub-rate", "8MiB/s"}, rate: 8 << 20},
		{name: "env", env: map[string]string{"D3S_CACHE_SIZE": "1GiB", "D3S_REPAIR_INTERVAL": "1m", "D3S_SCRUB_INTERVAL": "2h", "D3S_SCRUB_RATE": "1000000"},
			cache: 1 << 30, repair: time.Minute, scrub: 2 * time.Hour, rate: 1e6},
		{name: "flag wins over env", args: []string{"--repair-interval", "5s"}, env: map[string]string{"D3S_REPAIR_INTERVAL": "1m"}, repair: 5 * time.Second},
		{name: "bad size", args: []string{"--cache-size", "lots"}, wantUsage: true},
		{name: "bad tombstone ttl", args: []string{"--tombstone-ttl", "-1h"}, wantUsage: true},
		{name: "cache below -1", args: []string{"--cache-size", "-2"}, wantUsage: true},
		{name: "zero interval", args: []string{"--repair-interval", "0s"}, wantUsage: true},
		{name: "bad interval", args: []string{"--scrub-interval", "daily"}, wantUsage: true},
		{name: "zero rate", args: []string{"--scrub-rate", "0"}, wantUsage: true},
		{name: "bad env", env: map[string]string{"D3S_SCRUB_RATE": "fast"}, wantUsage: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opts, err := parseOptions(tc.args, func(k string) string { return tc.env[k] })
			if tc.wantUsage {
				var ue *usageError
				if !errors.As(err, &ue) {
					t.Fatalf("err %v, want a usage error", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			c := opts.cfg
			if c.CacheSize != tc.cache || c.RepairInterval != tc.repair || c.ScrubInterval != tc.scrub || c.ScrubRate != tc.rate {
				t.Errorf("cache %d repair %v scrub %v rate %d; want %d %v %v %d",
					c.CacheSize, c.RepairInterval, c.ScrubInterval, c.ScrubRate, tc.cache, tc.repair, tc.scrub, tc.rate)
			}
		})
	}
}

func TestTombstoneTTLFlag(t *testing.T) {
	opts, err := parseOptions([]string{"--tombstone-ttl", "720h"}, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if opts.cfg.TombstoneTTL != 720*time.Hour {
		t.Errorf("TombstoneTTL %v, want 720h", opts.cfg.TombstoneTTL)
	}
	opts, err = parseOptions(nil, func(k string) string { return map[string]string{"D3S_TOMBSTONE_TTL": "48h"}[k] })
	if err != nil || opts.cfg.TombstoneTTL != 48*time.Hour {
		t.Errorf("env: TombstoneTTL %v, err %v; want 48h", opts.cfg.TombstoneTTL, err)
	}
}
