package e2e

import (
	"cmp"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
)

// linMaxAnomalies bounds the reads counted as anomalies on one key.
const linMaxAnomalies = 200

// linReport is what linAnalyse found in a history.
type linReport struct {
	Ops          int      // operations checked
	Pruned       int      // writes of unknown outcome that no read could have seen, left out
	Keys         int      // keys (registers) checked
	Illegal      []string // keys whose history is not linearizable
	Inconclusive []string // keys whose check ran out of time
	// Anomalies counts the reads left out of the illegal keys' histories,
	// earliest answered first, until each linearized (at most
	// linMaxAnomalies a key): how many reads a person would call wrong.
	Anomalies int
	Found     []linAnomaly // those reads, key by key
	Capped    int          // keys whose count stopped at linMaxAnomalies
	// Stale lists the reads that returned a value no write could have
	// left when they ran: they missed a write acknowledged before they
	// began (a check of each read alone, as for a regular register:
	// weaker than linearizability, uncapped and fast).
	Stale  []porcupine.Operation
	First  string        // the earliest anomaly, described
	Visual string        // HTML visualisation of the illegal keys, or ""
	Took   time.Duration // time the check took
}

func (r linReport) String() string {
	s := fmt.Sprintf("%d operations on %d key(s) checked in %v (%d writes of unknown outcome never observable, left out): %d anomalies on %d key(s), %d stale reads",
		r.Ops, r.Keys, r.Took.Round(time.Millisecond), r.Pruned, r.Anomalies, len(r.Illegal), len(r.Stale))
	if r.Capped > 0 {
		s += fmt.Sprintf(" (at least: %d key(s) stopped counting at %d)", r.Capped, linMaxAnomalies)
	}
	if len(r.Inconclusive) > 0 {
		s += fmt.Sprintf(", %d keys inconclusive (check timed out): %v", len(r.Inconclusive), r.Inconclusive)
	}
	return s
}

// checkLinearizable checks h within timeout and fails the test when a
// key's history is not linearizable (naming the first anomaly and where
// the visualisation is) or the check could not decide in time.
func checkLinearizable(t *testing.T, h *linHistory, timeout time.Duration) linReport {
	t.Helper()
	r := linAnalyse(h, timeout, linVisualDir())
	t.Logf("linearizability: %v", r)
	if len(r.Illegal) > 0 {
		t.Errorf("history not linearizable: %d anomalies on keys %v; first: %s; visualisation: %s", r.Anomalies, r.Illegal, r.First, r.Visual)
	}
	if len(r.Inconclusive) > 0 {
		t.Errorf("linearizability check did not finish within %v for keys %v", timeout, r.Inconclusive)
	}
	return r
}

// linVisualDir is where visualisations go: $D3S_TEST_ARTEFACTS when set,
// else the system's temporary directory, so that the file outlives the
// test and can be opened.
func linVisualDir() string {
	if d := os.Getenv("D3S_TEST_ARTEFACTS"); d != "" {
		return d
	}
	return os.TempDir()
}

// linAnalyse checks each key of h within timeout (for all keys together)
// and, when some key's history is illegal and visualDir is not "", writes
// porcupine's HTML visualisation of those keys there.
func linAnalyse(h *linHistory, timeout time.Duration, visualDir string) linReport {
	begin := time.Now()
	deadline := begin.Add(timeout)
	all, marks := h.snapshot()
	ops, pruned := linPrune(all)
	r := linReport{Ops: len(ops), Pruned: pruned}
	var illegal [][]porcupine.Operation
	var first *linAnomaly
	keys := linByKey(ops)
	found := make([][]linAnomaly, len(keys))
	res := make([]porcupine.CheckResult, len(keys))
	var wg sync.WaitGroup
	for i, keyOps := range keys { // each key on its own: one that runs long starves none
		wg.Go(func() { found[i], res[i] = linAnalyseKey(keyOps, deadline) })
	}
	wg.Wait()
	for i, keyOps := range keys {
		r.Keys++
		key := keyOps[0].Input.(linInput).key
		r.Stale = append(r.Stale, linStale(keyOps)...)
		if res[i] == porcupine.Unknown {
			r.Inconclusive = append(r.Inconclusive, key)
		}
		if len(found[i]) == 0 {
			continue
		}
		r.Illegal = append(r.Illegal, key)
		r.Anomalies += len(found[i])
		r.Found = append(r.Found, found[i]...)
		if len(found[i]) >= linMaxAnomalies {
			r.Capped++
		}
		illegal = append(illegal, keyOps)
		if first == nil || found[i][0].op.Return < first.op.Return {
			first = &found[i][0]
		}
	}
	if first != nil {
		r.First = first.String() + linDescribeMarks(marks)
	}
	if len(illegal) > 0 && visualDir != "" {
		r.Visual = linVisualise(slices.Concat(illegal...), marks, visualDir, max(time.Until(deadline), 10*time.Second))
	}
	r.Took = time.Since(begin)
	return r
}

// linAnalyseKey checks one key's operations; while they are illegal it
// leaves out the read that blocks the longest explainable prefix and
// checks again, and returns the reads so left out.
func linAnalyseKey(ops []porcupine.Operation, deadline time.Time) ([]linAnomaly, porcupine.CheckResult) {
	var found []linAnomaly
	for len(found) < linMaxAnomalies {
		left := time.Until(deadline)
		if left <= 0 {
			return found, porcupine.Unknown
		}
		res, info := porcupine.CheckOperationsVerbose(linModel, ops, left)
		if res != porcupine.Illegal {
			return found, res
		}
		i, a := linBlocked(ops, info)
		found = append(found, a)
		ops = slices.Delete(slices.Clone(ops), i, i+1)
	}
	return found, porcupine.Illegal
}

// linAnomaly is a read that no order of its key's operations explains.
type linAnomaly struct {
	op          porcupine.Operation
	state       string               // the key's value after the longest explainable prefix
	prefix, all int                  // that prefix's length, and the key's operations
	lastAck     *porcupine.Operation // the last write acknowledged before the read began
	overlapping int                  // writes that may have taken effect while the read ran
}

func (a linAnomaly) String() string {
	in, out := a.op.Input.(linInput), a.op.Output.(linOutput)
	s := fmt.Sprintf("key %s: %s %s: no order of the key's operations explains it; ", in.key, linDescribeOp(in, out), linTimes(a.op))
	if a.lastAck != nil {
		s += fmt.Sprintf("the last write acknowledged before it began: %s %s; ",
			linDescribeOp(a.lastAck.Input.(linInput), a.lastAck.Output.(linOutput)), linTimes(*a.lastAck))
	} else {
		s += "no write was acknowledged before it began; "
	}
	return s + fmt.Sprintf("%d writes overlap it or have an unknown outcome; the longest explainable prefix (%d of %d operations) leaves the key at %s",
		a.overlapping, a.prefix, a.all, linShort(a.state))
}

// linBlocked picks, from a failed check's longest partial linearization,
// the read not in it that was answered first (the one the checker could
// not place), and returns its index in ops and its description.
func linBlocked(ops []porcupine.Operation, info porcupine.LinearizationInfo) (int, linAnomaly) {
	var longest []int
	if parts := info.PartialLinearizations(); len(parts) > 0 {
		for _, p := range parts[0] {
			if len(p) > len(longest) {
				longest = p
			}
		}
	}
	in := make([]bool, len(ops))
	state := linModel.Init()
	for _, id := range longest {
		in[id] = true
		_, state = linModel.Step(state, ops[id].Input, ops[id].Output)
	}
	pick := -1
	for i, op := range ops {
		if in[i] || !linIsRead(op) {
			continue
		}
		if pick < 0 || cmp.Or(cmp.Compare(op.Return, ops[pick].Return), cmp.Compare(op.Call, ops[pick].Call)) < 0 {
			pick = i
		}
	}
	if pick < 0 { // every read is in the prefix: leave out its last one
		for _, id := range slices.Backward(longest) {
			if linIsRead(ops[id]) {
				pick = id
				break
			}
		}
	}
	return pick, linDescribeBlocked(ops, pick, state.(linState).value, len(longest))
}

// linDescribeBlocked gathers what explains the read ops[i] to a person.
func linDescribeBlocked(ops []porcupine.Operation, i int, state string, prefix int) linAnomaly {
	read := ops[i]
	a := linAnomaly{op: read, state: state, prefix: prefix, all: len(ops)}
	for j, op := range ops {
		if linIsRead(op) {
			continue
		}
		switch {
		case op.Return < read.Call && (a.lastAck == nil || op.Return > a.lastAck.Return):
			a.lastAck = &ops[j]
		case op.Call <= read.Return && op.Return >= read.Call:
			a.overlapping++
		}
	}
	return a
}

func linIsRead(op porcupine.Operation) bool {
	k := op.Input.(linInput).kind
	return k == linGet || k == linList
}

// linPrune prepares a history's writes of unknown outcome for the
// checker. It leaves out each that no read could have observed (no read
// of its key answered after it was called saw its value): such a write
// can be placed after every other operation, where it changes nothing, so
// the history is linearizable with it if and only if it is without it. A
// PUT that a read saw took effect before the first such read returned:
// that becomes its return time (its value is unique, no other write could
// have left it). The deletes left get their rank (see linModel).
func linPrune(ops []porcupine.Operation) ([]porcupine.Operation, int) {
	type seen struct{ key, value string }
	last := map[seen]int64{}  // latest return of a read of key that saw value
	first := map[seen]int64{} // earliest
	for _, op := range ops {
		if linIsRead(op) {
			s := seen{op.Input.(linInput).key, op.Output.(linOutput).value}
			last[s] = max(last[s], op.Return)
			if f, ok := first[s]; !ok || op.Return < f {
				first[s] = op.Return
			}
		}
	}
	kept := make([]porcupine.Operation, 0, len(ops))
	for _, op := range ops {
		in := op.Input.(linInput)
		if op.Return == linNever && !linIsRead(op) {
			v := linAbsent
			if in.kind == linPut {
				v = in.value
			}
			r, ok := last[seen{in.key, v}]
			p, okp := last[seen{in.key, linPresent}]
			if !(ok && r >= op.Call) && !(in.kind == linPut && okp && p >= op.Call) {
				continue
			}
			if f, ok := first[seen{in.key, v}]; in.kind == linPut && !okp && ok && f >= op.Call {
				op.Return = f
			}
		}
		kept = append(kept, op)
	}
	linRank(kept)
	return kept, len(ops) - len(kept)
}

// linRank numbers each key's deletes of unknown outcome by call time.
func linRank(ops []porcupine.Operation) {
	var idx []int
	for i, op := range ops {
		if op.Return == linNever && op.Input.(linInput).kind == linDelete {
			idx = append(idx, i)
		}
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(ops[a].Call, ops[b].Call) })
	next := map[string]int{}
	for _, i := range idx {
		in := ops[i].Input.(linInput)
		in.rank = next[in.key]
		next[in.key]++
		ops[i].Input = in
	}
}

// linDescribeMarks lists a history's marks, for a description's end.
func linDescribeMarks(marks []linMark) string {
	if len(marks) == 0 {
		return ""
	}
	var parts []string
	for _, m := range marks {
		parts = append(parts, fmt.Sprintf("%s at %.3fs", m.name, float64(m.at)/1e9))
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

// linVisualise writes porcupine's visualisation of ops, with the marks,
// into dir and returns its path, or what went wrong.
func linVisualise(ops []porcupine.Operation, marks []linMark, dir string, timeout time.Duration) string {
	_, info := porcupine.CheckOperationsVerbose(linModel, ops, timeout)
	var notes []porcupine.Annotation
	for _, m := range marks {
		notes = append(notes, porcupine.Annotation{Tag: "test", Start: m.at, Description: m.name})
	}
	info.AddAnnotations(notes)
	path := filepath.Join(dir, fmt.Sprintf("d3s-linearizability-%s.html", time.Now().UTC().Format("20060102T150405.000000")))
	if err := porcupine.VisualizePath(linModel, info, path); err != nil {
		return fmt.Sprintf("(visualisation not written: %v)", err)
	}
	return path
}

// linStale returns the reads of one key's operations that saw a value no
// write could have left when they ran: the value of a write called after
// the read returned, or of one superseded before the read began (another
// write, called after it returned, was acknowledged before the read
// began), or absent while a write was acknowledged before the read began
// and no delete could explain it. A write of unknown outcome is never
// superseded: it may take effect at any time.
func linStale(ops []porcupine.Operation) []porcupine.Operation {
	var writes []porcupine.Operation
	for _, op := range ops {
		if !linIsRead(op) {
			writes = append(writes, op)
		}
	}
	// superseded[i]: the earliest time a write called after writes[i]
	// returned was acknowledged.
	superseded := make([]int64, len(writes))
	firstAck := int64(linNever)
	for i, w := range writes {
		superseded[i] = linNever
		for _, v := range writes {
			if v.Call > w.Return && v.Return < superseded[i] {
				superseded[i] = v.Return
			}
		}
		firstAck = min(firstAck, w.Return)
	}
	var stale []porcupine.Operation
	for _, r := range ops {
		if !linIsRead(r) {
			continue
		}
		seen := r.Output.(linOutput).value
		ok := seen == linAbsent && firstAck >= r.Call // the initial state
		for i, w := range writes {
			if ok {
				break
			}
			if w.Call > r.Return || superseded[i] < r.Call {
				continue
			}
			v := linAbsent
			if in := w.Input.(linInput); in.kind == linPut {
				v = in.value
			}
			ok = v == seen || seen == linPresent && v != linAbsent
		}
		if !ok {
			stale = append(stale, r)
		}
	}
	return stale
}
