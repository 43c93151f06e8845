package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/d3s/d3s/node"
)

// options is the parsed command line.
type options struct {
	cfg   node.Config
	level slog.Level
	// args are what follows the flags: a subcommand and its arguments,
	// empty to run the daemon.
	args []string
}

// Defaults of the daemon flags.
const (
	defaultDataDir  = "./d3s-data"
	defaultLogLevel = "info"
)

// logLevels are the accepted --log-level values.
var logLevels = map[string]slog.Level{
	"debug": slog.LevelDebug,
	"info":  slog.LevelInfo,
	"warn":  slog.LevelWarn,
	"error": slog.LevelError,
}

// usageError is a mistake on the command line; d3sd exits 2 for it.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usageErrorf(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// parseOptions parses the daemon flags in args. Each flag's default comes
// from its D3S_* variable in getenv when set, so a flag wins over the
// environment, which wins over the built-in default.
func parseOptions(args []string, getenv func(string) string) (options, error) {
	cfg := node.DefaultConfig()
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	fs := newFlagSet("d3sd")
	fs.StringVar(&cfg.DataDir, "data", env("D3S_DATA", defaultDataDir), "data `dir`ectory (env D3S_DATA)")
	fs.StringVar(&cfg.S3Addr, "s3", env("D3S_S3", cfg.S3Addr), "S3 listen `addr`ess (env D3S_S3)")
	fs.StringVar(&cfg.P2PAddr, "p2p", env("D3S_P2P", ""), "libp2p listen `addr`ess, host:port or multiaddr (env D3S_P2P)")
	join := fs.String("join", env("D3S_JOIN", ""), "join the network of this `token` (env D3S_JOIN)")
	joinFile := fs.String("join-file", env("D3S_JOIN_FILE", ""), "join the network of the token in this `file` (env D3S_JOIN_FILE)")
	fs.StringVar(&cfg.Domain, "domain", env("D3S_DOMAIN", ""), "`domain` for virtual-hosted-style requests (env D3S_DOMAIN)")
	fs.StringVar(&cfg.Region, "region", env("D3S_REGION", ""), "S3 `region` reported to clients, default us-east-1 (env D3S_REGION)")
	staleness := fs.String("staleness", env("D3S_STALENESS", ""), "how old a cached catalogue may be before a read revalidates it, e.g. 500ms (env D3S_STALENESS, default 1s)")
	fs.StringVar(&cfg.Consistency, "consistency", env("D3S_CONSISTENCY", node.ConsistencyStrong), "`mode`: strong (reads everywhere see every acknowledged write; a side without a quorum refuses) or eventual (env D3S_CONSISTENCY)")
	replicas := fs.String("replicas", env("D3S_REPLICAS", ""), "how many nodes hold each object (env D3S_REPLICAS, default 3)")
	syncReplicas := fs.String("sync-replicas", env("D3S_SYNC_REPLICAS", ""), "durable copies, the writer's included, a PUT waits for (env D3S_SYNC_REPLICAS, default 2)")
	tuning := addTuningFlags(fs, env)
	level := fs.String("log-level", env("D3S_LOG_LEVEL", defaultLogLevel), "log `level`: debug, info, warn or error (env D3S_LOG_LEVEL)")
	if err := parseFlags(fs, args); err != nil {
		return options{}, err
	}
	lvl, ok := logLevels[strings.ToLower(*level)]
	if !ok {
		return options{}, usageErrorf("invalid log level %q: want debug, info, warn or error", *level)
	}
	if cfg.DataDir == "" {
		return options{}, usageErrorf("--data must not be empty")
	}
	if *staleness != "" {
		d, err := time.ParseDuration(*staleness)
		if err != nil || d <= 0 {
			return options{}, usageErrorf("invalid --staleness %q: want a positive duration such as 500ms or 2s", *staleness)
		}
		cfg.Staleness = d
	}
	if cfg.Consistency != node.ConsistencyStrong && cfg.Consistency != node.ConsistencyEventual {
		return options{}, usageErrorf("invalid --consistency %q: want strong or eventual", cfg.Consistency)
	}
	if err := parseReplicas(&cfg, *replicas, *syncReplicas); err != nil {
		return options{}, err
	}
	if err := tuning.apply(&cfg); err != nil {
		return options{}, err
	}
	tok, err := joinToken(*join, *joinFile)
	if err != nil {
		return options{}, err
	}
	cfg.JoinToken = tok
	return options{cfg: cfg, level: lvl, args: fs.Args()}, nil
}

// parseReplicas sets the replication counts given (empty means default).
func parseReplicas(cfg *node.Config, replicas, sync string) error {
	for _, f := range []struct {
		name, val string
		dst       *int
	}{{"--replicas", replicas, &cfg.Replicas}, {"--sync-replicas", sync, &cfg.SyncReplicas}} {
		if f.val == "" {
			continue
		}
		v, err := strconv.Atoi(f.val)
		if err != nil || v < 1 {
			return usageErrorf("invalid %s %q: want a positive number", f.name, f.val)
		}
		*f.dst = v
	}
	if err := cfg.ValidateReplicas(); err != nil {
		return &usageError{msg: err.Error()}
	}
	return nil
}

// joinToken returns the token given inline or in a file (at most one of
// the two), checked for well-formedness.
func joinToken(inline, file string) (string, error) {
	if inline != "" && file != "" {
		return "", usageErrorf("--join and --join-file are exclusive")
	}
	tok := strings.TrimSpace(inline)
	if file != "" {
		data, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("join file: %w", err)
		}
		tok = strings.TrimSpace(string(data))
	}
	if tok == "" {
		if inline != "" || file != "" {
			return "", usageErrorf("empty join token")
		}
		return "", nil
	}
	if err := node.CheckJoinToken(tok); err != nil {
		return "", &usageError{msg: err.Error()}
	}
	return tok, nil
}

// newFlagSet returns a flag set that prints nothing: d3sd reports a bad
// flag in one line and prints usage only for -h.
func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// parseFlags parses args into fs, turning its errors into usage errors.
func parseFlags(fs *flag.FlagSet, args []string) error {
	err := fs.Parse(args)
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return err
	}
	return &usageError{msg: err.Error()}
}

// parseInterleaved parses flags that may come before, between or after the
// positional arguments, as in "user add alice --data DIR", and returns the
// positional arguments.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := parseFlags(fs, args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if len(rest) < len(args) && args[len(args)-len(rest)-1] == "--" {
			return append(pos, rest...), nil
		}
		pos, args = append(pos, rest[0]), rest[1:]
	}
}

// newLogger returns the daemon's logger: slog text on w at level.
func newLogger(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

// usageText is printed by -h and "d3sd help".
const usageText = `usage:
  d3sd [flags]              run a node
  d3sd user add NAME        create a user on the running node, print its keys
  d3sd user rotate NAME     give the user a new secret key, print its keys
  d3sd user remove NAME     remove the user: its keys are refused on every node
  d3sd user list            list the users of the network, as the running node knows them
  d3sd token                print the join token of this node's network (a secret)
  d3sd status [--json]      show the running node: peers, held objects, repair, transfers
  d3sd version              print the version

flags:
  --data DIR        data directory (env D3S_DATA, default ./d3s-data)
  --s3 ADDR         S3 listen address (env D3S_S3, default 127.0.0.1:9000)
  --p2p ADDR        libp2p listen address, host:port or multiaddr (env D3S_P2P,
                    default every interface on an ephemeral TCP port)
  --join TOKEN      join the network of TOKEN, printed by "d3sd token" on a
                    member (env D3S_JOIN); needed on the first start only
  --join-file PATH  the same, with the token read from PATH (env D3S_JOIN_FILE)
  --domain DOMAIN   domain for virtual-hosted-style requests (env D3S_DOMAIN)
  --region REGION   S3 region reported to clients (env D3S_REGION, default us-east-1)
  --consistency MODE
                    strong: a write is acknowledged once a majority of the
                    network's members hold it, and every read on any node sees
                    every write acknowledged before it began; a node that
                    cannot reach a majority answers 503. eventual: writes are
                    acknowledged at once and other nodes see them within about
                    a second; both sides of a partition keep serving and merge
                    when it heals (offline-first). Run one mode network-wide
                    (env D3S_CONSISTENCY, default strong)
  --replicas N      how many nodes hold each object (env D3S_REPLICAS, default 3)
  --sync-replicas N durable copies, the writer's included, a PUT waits for
                    (env D3S_SYNC_REPLICAS, default 2 where the network has 2 nodes)
  --staleness D     how old a cached catalogue may be before a read revalidates
                    it against the network (env D3S_STALENESS, default 1s)
  --cache-size SIZE bytes of objects read from other nodes kept locally, e.g.
                    512MiB or 10GiB; -1 keeps none (env D3S_CACHE_SIZE, default 1GiB)
  --repair-interval D
                    how often this node checks that each object it holds has
                    --replicas copies on live nodes (env D3S_REPAIR_INTERVAL, default 30s)
  --scrub-interval D
                    how long one pass re-verifying every byte held is spread
                    over (env D3S_SCRUB_INTERVAL, default 24h)
  --scrub-rate SIZE most bytes per second the scrub reads (env D3S_SCRUB_RATE,
                    default 64MiB)
  --tombstone-ttl D how long a delete marker stays in a catalogue; keep it longer
                    than any partition or node absence (env D3S_TOMBSTONE_TTL,
                    default 168h)
  --log-level LVL   debug, info, warn or error (env D3S_LOG_LEVEL, default info)

The user, token and status commands take --data too; they talk to the running node
over the admin socket in its data directory ("token" reads DIR/join-token
when the node is not running).

The first node started without --join founds a network: it creates the
network key, the user "admin", and writes its join token to DIR/join-token.
Other nodes join with --join once; after that they rejoin through the peers
they met. Users and bucket listings are network-wide; each object is kept
on the --replicas nodes closest to it and read from any node.
`
