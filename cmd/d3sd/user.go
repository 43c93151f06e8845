package main

import (
	"context"
	"fmt"
	"io"
	"runtime/debug"
	"text/tabwriter"
	"time"

	"github.com/d3s/d3s/node/admin"
	"github.com/d3s/d3s/node/users"
)

// adminTimeout bounds one admin call to the running daemon.
const adminTimeout = 30 * time.Second

// userUsage names the user subcommands, for usage errors.
const userUsage = `want "user add NAME", "user remove NAME", "user rotate NAME" or "user list"`

// userCommand runs "user add|remove|rotate NAME" or "user list" against
// the daemon serving dataDir (--data after the subcommand overrides it).
func userCommand(ctx context.Context, dataDir string, args []string, out io.Writer) error {
	fs := newFlagSet("user")
	fs.StringVar(&dataDir, "data", dataDir, "data directory")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usageErrorf("user: missing subcommand: %s", userUsage)
	}
	ctx, cancel := context.WithTimeout(ctx, adminTimeout)
	defer cancel()
	switch pos[0] {
	case "add", "remove", "rotate":
		if len(pos) != 2 {
			return usageErrorf("user %s: want exactly one NAME, got %d arguments", pos[0], len(pos)-1)
		}
		return userChange(ctx, dataDir, pos[0], pos[1], out)
	case "list":
		if len(pos) != 1 {
			return usageErrorf("user list: unexpected argument %q", pos[1])
		}
		return userList(ctx, dataDir, out)
	default:
		return usageErrorf("user: unknown subcommand %q: %s", pos[0], userUsage)
	}
}

// userChange adds, removes or rotates the user called name. Add and rotate
// print the new keys as shell exports (the secret is shown this once);
// remove prints what it removed.
func userChange(ctx context.Context, dataDir, op, name string, out io.Writer) error {
	var creds *users.Credentials
	var err error
	switch op {
	case "add":
		creds, err = admin.AddUser(ctx, dataDir, name)
	case "rotate":
		creds, err = admin.RotateUser(ctx, dataDir, name)
	default:
		var info users.Info
		if info, err = admin.RemoveUser(ctx, dataDir, name); err == nil {
			_, err = fmt.Fprintf(out, "removed user %s (access key %s)\n", info.Name, info.AccessKeyID)
		}
		return err
	}
	if err != nil {
		return err
	}
	printKeys(out, creds)
	return nil
}

// userList prints the users as a table.
func userList(ctx context.Context, dataDir string, out io.Writer) error {
	list, err := admin.ListUsers(ctx, dataDir)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tACCESS KEY ID\tCREATED\tSTATUS")
	for _, u := range list {
		status := u.Status
		if u.Status == users.StatusConflict {
			status = "conflict: name kept by " + u.LostTo
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", u.Name, u.AccessKeyID, u.Created.UTC().Format(time.RFC3339), status)
	}
	return tw.Flush()
}

// version is set at build time with -ldflags "-X main.version=v1.2.3";
// otherwise the module version from the build info is shown.
var version = ""

// versionCommand prints the version of d3sd.
func versionCommand(args []string, out io.Writer) error {
	if len(args) != 0 {
		return usageErrorf("version: unexpected argument %q", args[0])
	}
	v, goVersion := version, "unknown"
	if info, ok := debug.ReadBuildInfo(); ok {
		goVersion = info.GoVersion
		if v == "" {
			v = info.Main.Version
		}
	}
	if v == "" {
		v = "(devel)"
	}
	_, err := fmt.Fprintf(out, "d3sd %s %s\n", v, goVersion)
	return err
}
