//go:build long

package e2e

// With the build tag long, TestRepairScenario runs issue 4's full set: 200
// objects from 1 KiB to 64 MiB (about 1.2 GB before replication).
func init() {
	repairScale = repairParams{objects: 200, maxSize: 64 << 20}
}
