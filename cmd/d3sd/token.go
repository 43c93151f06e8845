package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"

	"github.com/d3s/d3s/node"
	"github.com/d3s/d3s/node/admin"
)

// tokenCommand prints the join token of the node of dataDir: the running
// node's current one over the admin socket, else the one it last wrote to
// DATA/join-token.
func tokenCommand(ctx context.Context, dataDir string, args []string, out io.Writer) error {
	fs := newFlagSet("token")
	fs.StringVar(&dataDir, "data", dataDir, "data directory")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usageErrorf("token: unexpected argument %q", pos[0])
	}
	ctx, cancel := context.WithTimeout(ctx, adminTimeout)
	defer cancel()
	tok, err := currentToken(ctx, dataDir)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(out, tok)
	return err
}

// currentToken asks the daemon, then falls back to the token file.
func currentToken(ctx context.Context, dataDir string) (string, error) {
	tok, err := admin.Token(ctx, dataDir)
	if err == nil || !errors.Is(err, admin.ErrNoDaemon) {
		return tok, err
	}
	tok, err = node.ReadJoinToken(dataDir)
	if errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("no join token in %s: start d3sd with that data dir first", dataDir)
	}
	return tok, err
}
