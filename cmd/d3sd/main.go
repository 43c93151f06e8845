package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := dispatch(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "d3sd:", strings.ReplaceAll(err.Error(), "\n", "; "))
		os.Exit(exitCode(err))
	}
}

// exitCode is 2 for command-line mistakes and 1 for every other failure.
func exitCode(err error) int {
	var ue *usageError
	if errors.As(err, &ue) {
		return 2
	}
	return 1
}

// dispatch parses args and runs the daemon or the subcommand they name.
// The daemon logs to stderr; everything meant for the user goes to stdout.
func dispatch(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	opts, err := parseOptions(args, getenv)
	if errors.Is(err, flag.ErrHelp) {
		_, err = io.WriteString(stdout, usageText)
		return err
	}
	if err != nil {
		return err
	}
	if len(opts.args) == 0 {
		opts.cfg.Logger = newLogger(stderr, opts.level)
		return run(ctx, opts.cfg, stdout)
	}
	switch cmd, rest := opts.args[0], opts.args[1:]; cmd {
	case "user":
		return userCommand(ctx, opts.cfg.DataDir, rest, stdout)
	case "token":
		return tokenCommand(ctx, opts.cfg.DataDir, rest, stdout)
	case "status":
		return statusCommand(ctx, opts.cfg.DataDir, rest, stdout)
	case "version":
		return versionCommand(rest, stdout)
	case "help":
		_, err = io.WriteString(stdout, usageText)
		return err
	default:
		return usageErrorf("unknown command %q (see d3sd -h)", cmd)
	}
}
