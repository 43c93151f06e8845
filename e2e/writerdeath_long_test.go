//go:build long

package e2e

import (
	"syscall"
	"testing"
	"time"
)

// TestWriterDeathKeepsIndexBothBuckets: a bucket read elsewhere before
// its writes and one never read, node 1 SIGKILLed right after its last
// acknowledgement.
func TestWriterDeathKeepsIndexBothBuckets(t *testing.T) {
	writerDeath(t, true, 0, syscall.SIGKILL)
}

// TestWriterStoppedLaterKeepsIndex: node 1 is stopped (SIGTERM) 75 s
// after its last write, once repair and collection had time to run.
func TestWriterStoppedLaterKeepsIndex(t *testing.T) {
	writerDeath(t, true, 75*time.Second, syscall.SIGTERM)
}
