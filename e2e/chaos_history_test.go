//go:build fault && chaos

package e2e

import (
	"errors"
	"fmt"
	"net"
	"sort"
	"strings"
	"sync"

	"github.com/aws/smithy-go"
)

// chaosHistory is what TestChaos's clients did and were told. Every key
// has the set of states it may be in (a version's SHA-256, or "" for
// absent): an acknowledged operation replaces the set with its result, an
// unacknowledged one adds its result to it.
type chaosHistory struct {
	mu         sync.Mutex
	versions   map[string]map[string]bool // key -> SHA-256 of every version tried
	may        map[string]map[string]bool // key -> possible states now
	counts     map[string]int             // "put ok", "put 503", …
	violations []string
	quiet      int
	reads      int
}

func newChaosHistory() *chaosHistory {
	return &chaosHistory{versions: map[string]map[string]bool{}, may: map[string]map[string]bool{}, counts: map[string]int{}}
}

// attempt notes a version about to be written, so a GET may return it.
func (h *chaosHistory) attempt(o testObject) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.versions[o.key] == nil {
		h.versions[o.key] = map[string]bool{}
	}
	h.versions[o.key][o.sum] = true
}

// put records a PUT of o and whether it was acknowledged.
func (h *chaosHistory) put(o testObject, acked bool) {
	h.attempt(o)
	h.set(o.key, o.sum, acked)
}

// del records a DELETE of key and whether it was acknowledged.
func (h *chaosHistory) del(key string, acked bool) { h.set(key, "", acked) }

func (h *chaosHistory) set(key, state string, acked bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if acked || h.may[key] == nil {
		h.may[key] = map[string]bool{}
		if !acked {
			h.may[key][""] = true // never acknowledged before: may be absent
		}
	}
	h.may[key][state] = true
}

// written reports whether sum is a version ever written for key.
func (h *chaosHistory) written(key, sum string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.versions[key][sum]
}

// everPut reports whether any version of key was tried.
func (h *chaosHistory) everPut(key string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.versions[key]) > 0
}

// stable reports whether key is one of the keys never changed.
func (h *chaosHistory) stable(key string) bool { return strings.HasPrefix(key, "stable/") }

// possible reports whether key may now be in state sum ("" = absent).
func (h *chaosHistory) possible(key, sum string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.may[key] == nil {
		return sum == ""
	}
	return h.may[key][sum]
}

// unexplained compares a listing with the history: keys listed that must
// be absent, keys missing that must be present.
func (h *chaosHistory) unexplained(listed []string) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	in := map[string]bool{}
	var out []string
	for _, k := range listed {
		in[k] = true
		if may := h.may[k]; may == nil || (len(may) == 1 && may[""]) {
			out = append(out, fmt.Sprintf("%s listed, must be absent", k))
		}
	}
	for k, may := range h.may {
		if !in[k] && !may[""] {
			out = append(out, fmt.Sprintf("%s missing, must be present", k))
		}
	}
	sort.Strings(out)
	return out[:min(len(out), 10)]
}

// count tallies an operation by outcome.
func (h *chaosHistory) count(op string, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.counts[op+" "+outcome(err)]++
}

// outcome names what an operation got back.
func outcome(err error) string {
	var ae smithy.APIError
	var ne net.Error
	switch {
	case err == nil:
		return "ok"
	case errors.As(err, &ae):
		return ae.ErrorCode()
	case errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	default:
		return "unreachable"
	}
}

// violate records a broken promise.
func (h *chaosHistory) violate(format string, args ...any) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.violations = append(h.violations, fmt.Sprintf(format, args...))
}

// summary reports the counts.
func (h *chaosHistory) summary() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	keys := make([]string, 0, len(h.counts))
	for k := range h.counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s: %d; ", k, h.counts[k])
	}
	fmt.Fprintf(&b, "%d quiet points, %d final reads, %d violations", h.quiet, h.reads, len(h.violations))
	return b.String()
}
