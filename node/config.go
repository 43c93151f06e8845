package node

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
)

// Config configures a Node.
type Config struct {
	// DataDir holds the node's database (db/), object data (objects/),
	// keys and admin socket. It is created if missing.
	DataDir string
	// S3Addr is the TCP address of the S3 front end; port 0 picks a free
	// port (see Node.S3Addr).
	S3Addr string
	// Domain enables virtual-hosted-style S3 requests (bucket.Domain).
	Domain string
	// Region is the S3 region the node reports; "" means us-east-1.
	Region string
	// Logger receives the node's logs; nil discards them.
	Logger *slog.Logger
	// DebugStorage forwards the database's own log to Logger at debug
	// level; it is silent otherwise.
	DebugStorage bool
}

// DefaultConfig returns a Config serving S3 on 127.0.0.1:9000; DataDir
// must still be set.
func DefaultConfig() Config {
	return Config{S3Addr: "127.0.0.1:9000"}
}

// Validate reports the first problem in c.
func (c Config) Validate() error {
	if c.DataDir == "" {
		return errors.New("node: config: DataDir is required")
	}
	if _, _, err := net.SplitHostPort(c.S3Addr); err != nil {
		return fmt.Errorf("node: config: S3Addr %q: %w", c.S3Addr, err)
	}
	return nil
}
