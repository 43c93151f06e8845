//go:build long

package e2e

import "testing"

// TestEventualReadAfterWrite runs TestStrongReadAfterWrite's trials in
// eventual mode and reports how many reads saw the write at once and how
// many after reading again every 100 ms, up to 2 s (the comparison figure
// for BENCHMARKS.md). It asserts nothing beyond sanity (no bytes never
// written, no error but 503): eventual promises no read-after-write across
// nodes. A miss costs up to 2 s, hence the tag and the default of 200
// trials (D3S_RAW_TRIALS overrides).
func TestEventualReadAfterWrite(t *testing.T) {
	r := newRawRun(t, "eventual", true)
	r.run(rawTrials(t, 200))
	r.report()
}
