//go:build fault && chaos

package e2e

import (
	"errors"
	"fmt"
	"net"
	"sort"
	"strings"
	"sync"
	"time"

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
	late       map[string]map[string]bool // key -> states of unacknowledged writes, which may land any time
	ops        map[string][]string        // key -> its operations, for the failure messages
	counts     map[string]int             // "put ok", "put 503", …
	violations []string
	quiet      int
	reads      int
}

func newChaosHistory() *chaosHistory {
	return &chaosHistory{versions: map[string]map[string]bool{}, may: map[string]map[string]bool{},
		late: map[string]map[string]bool{}, ops: map[string][]string{}, counts: map[string]int{}}
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

// put records a PUT of o through node and what it got back.
func (h *chaosHistory) put(o testObject, node int, err error) {
	h.attempt(o)
	h.set(o.key, o.sum, node, "put", err)
}

// del records a DELETE of key through node and what it got back.
func (h *chaosHistory) del(key string, node int, err error) { h.set(key, "", node, "delete", err) }

// set records an operation that leaves key in state ("" = absent). An
// acknowledged one replaces the states key may be in; one that failed
// may still take effect, even after later acknowledged ones (a request
// the client gave up on can complete on the node afterwards), so its
// state stays possible for good.
func (h *chaosHistory) set(key, state string, node int, op string, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.ops[key] = append(h.ops[key], fmt.Sprintf("%s %s via node %d %.8s: %s", time.Now().Format("15:04:05.000"), op, node+1, state, outcome(err)))
	if err == nil || h.may[key] == nil {
		h.may[key] = map[string]bool{}
		if err != nil {
			h.may[key][""] = true // never acknowledged before: may be absent
		}
	}
	if err != nil {
		if h.late[key] == nil {
			h.late[key] = map[string]bool{}
		}
		h.late[key][state] = true
	}
	h.may[key][state] = true
}

// history returns key's operations (caller holds mu).
func (h *chaosHistory) history(key string) string {
	return strings.Join(h.ops[key], "; ")
}

// allowed reports whether key may be in state (caller holds mu).
func (h *chaosHistory) allowed(key, state string) bool {
	if h.may[key] == nil {
		return state == ""
	}
	return h.may[key][state] || h.late[key][state]
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

// possible reports whether key may now be in state sum ("" = absent),
// and key's operations.
func (h *chaosHistory) possible(key, sum string) (bool, string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.allowed(key, sum), h.history(key)
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
		if !h.allowed(k, "") || h.allowedPresent(k) {
			continue
		}
		out = append(out, fmt.Sprintf("%s listed, must be absent (%s)", k, h.history(k)))
	}
	for k := range h.may {
		if !in[k] && !h.allowed(k, "") {
			out = append(out, fmt.Sprintf("%s missing, must be present (%s)", k, h.history(k)))
		}
	}
	sort.Strings(out)
	return out[:min(len(out), 10)]
}

// allowedPresent reports whether some version of key may be current
// (caller holds mu).
func (h *chaosHistory) allowedPresent(k string) bool {
	for st := range h.may[k] {
		if st != "" {
			return true
		}
	}
	for st := range h.late[k] {
		if st != "" {
			return true
		}
	}
	return false
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
