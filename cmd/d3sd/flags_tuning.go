package main

import (
	"flag"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/d3s/d3s/node"
)

// tuningFlags are the raw values of the cache, repair and scrub flags;
// "" keeps the node's default.
type tuningFlags struct {
	cacheSize, repairInterval, scrubInterval, scrubRate, tombstoneTTL *string
}

// addTuningFlags defines the cache, repair and scrub flags on fs, each
// defaulting to its D3S_* variable through env.
func addTuningFlags(fs *flag.FlagSet, env func(name, def string) string) tuningFlags {
	return tuningFlags{
		cacheSize:      fs.String("cache-size", env("D3S_CACHE_SIZE", ""), "bytes of remotely read objects kept, e.g. 512MiB or 10GiB; -1 keeps none (env D3S_CACHE_SIZE, default 1GiB)"),
		repairInterval: fs.String("repair-interval", env("D3S_REPAIR_INTERVAL", ""), "how often held objects are checked for R live copies (env D3S_REPAIR_INTERVAL, default 30s)"),
		scrubInterval:  fs.String("scrub-interval", env("D3S_SCRUB_INTERVAL", ""), "how long one pass re-verifying every held byte is spread over (env D3S_SCRUB_INTERVAL, default 24h)"),
		tombstoneTTL:   fs.String("tombstone-ttl", env("D3S_TOMBSTONE_TTL", ""), "how long a delete marker stays in a catalogue before compaction drops it; longer than any partition or node absence (env D3S_TOMBSTONE_TTL, default 168h)"),
		scrubRate:      fs.String("scrub-rate", env("D3S_SCRUB_RATE", ""), "most bytes per second the scrub reads, e.g. 64MiB (env D3S_SCRUB_RATE, default 64MiB)"),
	}
}

// apply sets the given values in cfg.
func (t tuningFlags) apply(cfg *node.Config) error {
	if v := *t.cacheSize; v != "" {
		n, err := parseSize(v)
		if err != nil || n < -1 {
			return usageErrorf("invalid --cache-size %q: want a size such as 512MiB or 10GiB, 0 for the default or -1 for none", v)
		}
		cfg.CacheSize = n
	}
	for _, f := range []struct {
		name, val string
		dst       *time.Duration
	}{{"--repair-interval", *t.repairInterval, &cfg.RepairInterval}, {"--scrub-interval", *t.scrubInterval, &cfg.ScrubInterval}, {"--tombstone-ttl", *t.tombstoneTTL, &cfg.TombstoneTTL}} {
		if f.val == "" {
			continue
		}
		d, err := time.ParseDuration(f.val)
		if err != nil || d <= 0 {
			return usageErrorf("invalid %s %q: want a positive duration such as 30s or 12h", f.name, f.val)
		}
		*f.dst = d
	}
	if v := *t.scrubRate; v != "" {
		n, err := parseSize(strings.TrimSuffix(v, "/s"))
		if err != nil || n <= 0 {
			return usageErrorf("invalid --scrub-rate %q: want bytes per second such as 64MiB", v)
		}
		cfg.ScrubRate = n
	}
	return nil
}

// sizeUnits are the accepted size suffixes, matched case-insensitively:
// SI multiples (KB, MB…) are powers of 1000, binary ones (KiB, MiB…, and
// the bare K, M, G, T) powers of 1024.
var sizeUnits = []struct {
	suffix string
	mult   int64
}{
	{"kib", 1 << 10}, {"mib", 1 << 20}, {"gib", 1 << 30}, {"tib", 1 << 40},
	{"kb", 1e3}, {"mb", 1e6}, {"gb", 1e9}, {"tb", 1e12},
	{"k", 1 << 10}, {"m", 1 << 20}, {"g", 1 << 30}, {"t", 1 << 40},
	{"b", 1},
}

// parseSize parses a byte count: an integer, optionally negative, with an
// optional unit ("512MiB", "10GB", "1.5GiB", "4096", "-1").
func parseSize(s string) (int64, error) {
	s = strings.TrimSpace(s)
	num, mult := s, int64(1)
	lower := strings.ToLower(s)
	for _, u := range sizeUnits {
		if strings.HasSuffix(lower, u.suffix) {
			num, mult = strings.TrimSpace(s[:len(s)-len(u.suffix)]), u.mult
			break
		}
	}
	if n, err := strconv.ParseInt(num, 10, 64); err == nil {
		if n > math.MaxInt64/mult || n < math.MinInt64/mult {
			return 0, strconv.ErrRange
		}
		return n * mult, nil
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return 0, err
	}
	v := f * float64(mult)
	if math.IsNaN(v) || v >= math.MaxInt64 || v <= math.MinInt64 {
		return 0, strconv.ErrRange
	}
	return int64(v), nil
}
