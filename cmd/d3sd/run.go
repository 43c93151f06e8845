package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"path/filepath"

	"github.com/d3s/d3s/node"
	"github.com/d3s/d3s/node/users"
)

// run runs a node until ctx is done. On the node's very first start it
// writes the new admin user's keys to DATA/credentials and prints them once
// to out.
func run(ctx context.Context, cfg node.Config, out io.Writer) (err error) {
	n, err := node.New(cfg)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, n.Close()) }()
	first := n.FirstUser()
	if first != nil {
		// Written before Start: if Start fails, the keys of the only user
		// are not lost.
		if _, err := users.WriteCredentialsFile(cfg.DataDir, first); err != nil {
			printKeys(out, first)
			return err
		}
	}
	if err := n.Start(ctx); err != nil {
		return err
	}
	cfg.Logger.Info("d3sd ready", "s3", endpointURL(n.S3Addr()), "data", cfg.DataDir)
	if first != nil {
		printFirstStart(out, cfg.DataDir, first, n.S3Addr())
	} else if cfg.JoinToken != "" && n.Joined() {
		printJoined(out, cfg.DataDir)
	}
	<-ctx.Done()
	cfg.Logger.Info("d3sd shutting down")
	return nil
}

// printFirstStart shows the first user's keys and how to use them.
func printFirstStart(out io.Writer, dataDir string, creds *users.Credentials, s3Addr string) {
	fmt.Fprintf(out, "\nFirst start: created user %q. Its secret key is shown only this once;\n", creds.Name)
	fmt.Fprintf(out, "it is also saved in %s (AWS credentials format).\n\n", filepath.Join(dataDir, users.CredentialsFile))
	printKeys(out, creds)
	fmt.Fprintf(out, "aws --endpoint-url %s s3 mb s3://mybucket\n\n", endpointURL(s3Addr))
	fmt.Fprintf(out, "Other nodes join this network with:\n  d3sd --join \"$(d3sd token --data %s)\"\n\n", dataDir)
}

// printJoined tells a node that joined a network how to get credentials:
// a joining node creates no user of its own.
func printJoined(out io.Writer, dataDir string) {
	fmt.Fprintf(out, "\nJoined the network. Every user of the network works on this node;\n")
	fmt.Fprintf(out, "use existing keys, or create a user with:\n  d3sd user add NAME --data %s\n\n", dataDir)
}

// printKeys prints creds as shell exports.
func printKeys(out io.Writer, creds *users.Credentials) {
	fmt.Fprintf(out, "export AWS_ACCESS_KEY_ID=%s\nexport AWS_SECRET_ACCESS_KEY=%s\n",
		creds.AccessKeyID, creds.SecretAccessKey)
}

// endpointURL is the URL a local client reaches the S3 address at: a
// wildcard listen address is reached on loopback.
func endpointURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://" + addr
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}
