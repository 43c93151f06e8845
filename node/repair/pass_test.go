package repair

import (
	"testing"
	"time"
)

// TestRepairWaitBoundsDuty: passes run every interval, or, when a pass
// is long (many held objects), duty times its duration apart.
func TestRepairWaitBoundsDuty(t *testing.T) {
	for _, tc := range []struct{ interval, took, want time.Duration }{
		{30 * time.Second, 2500 * time.Millisecond, 30 * time.Second},
		{30 * time.Second, 25 * time.Second, duty * 25 * time.Second},
		{time.Second, 200 * time.Millisecond, duty * 200 * time.Millisecond},
	} {
		if got := nextWait(tc.interval, tc.took); got != tc.want {
			t.Errorf("nextWait(%v, %v) = %v, want %v", tc.interval, tc.took, got, tc.want)
		}
	}
}
