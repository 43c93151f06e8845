package e2e

import (
	"fmt"
	"hash/fnv"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/anishathalye/porcupine"
)

// A linearizability checker over S3 histories, as Jepsen's Knossos checks
// registers: each key is a register whose value is the hex SHA-256 of the
// object's bytes, or linAbsent when there is no object. Concurrent clients
// record what they asked and what they were told in a linHistory; the
// checker (linAnalyse, checkLinearizable in linearize_check_test.go) asks
// porcupine, key by key, whether some order of the operations, each placed
// between its call and its return, explains every read.
//
// A write whose client got no answer it can trust (a timeout, a 5xx, a
// broken connection) may or may not have taken effect, now or later: it is
// recorded with an infinite return time, which lets porcupine place it
// anywhere after its call, including after everything else (never).

// Register values that are not a SHA-256.
const (
	linAbsent  = "absent"  // no object under the key
	linPresent = "present" // a LIST showed the key with an ETag no write of the history had
)

// linNever is the return time of a write whose outcome is unknown.
const linNever = math.MaxInt64

// linKind is what an operation of a linHistory did.
type linKind uint8

const (
	linPut linKind = iota
	linDelete
	linGet
	linList // a LIST seen as a read of one key
)

func (k linKind) String() string {
	return [...]string{"PUT", "DELETE", "GET", "LIST"}[k]
}

// linInput is an operation's input: what it did, to which key, through
// which node (0-based, -1 when unknown), and for a PUT the value written.
type linInput struct {
	kind  linKind
	key   string
	value string
	node  int
	rank  int // a delete of unknown outcome's place among its key's, by call; else -1
}

// linOutput is what an operation was told: a read's value, or for a
// write the error that left its outcome unknown ("" when acknowledged).
type linOutput struct {
	value string
	err   string
}

// linHistory is the record of what concurrent clients did and were told.
// Its timestamps are nanoseconds on the monotonic clock since the history
// began (Now). It is safe for concurrent use.
type linHistory struct {
	start time.Time

	mu    sync.Mutex
	ops   []porcupine.Operation
	marks []linMark
}

// linMark is a named moment of a history (a cut, a heal), shown in
// descriptions and in the visualisation.
type linMark struct {
	name string
	at   int64
}

// newLinHistory returns an empty history whose clock starts now.
func newLinHistory() *linHistory { return &linHistory{start: time.Now()} }

// Now is the history's clock: monotonic nanoseconds since it began. Take
// it just before sending a request (call) and just after its answer
// (return).
func (h *linHistory) Now() int64 { return int64(time.Since(h.start)) }

// Mark names the moment at (a time of Now).
func (h *linHistory) Mark(name string, at int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.marks = append(h.marks, linMark{name, at})
}

// Put records a PUT of value (the SHA-256 of its bytes, unique to this
// write) to key by client through node, called at call and answered at
// ret. A non-nil err, whatever it is, makes its outcome unknown.
func (h *linHistory) Put(client, node int, key, value string, call, ret int64, err error) {
	h.write(client, linInput{kind: linPut, key: key, value: value, node: node, rank: -1}, call, ret, err)
}

// Delete records a DELETE of key, as Put records a PUT.
func (h *linHistory) Delete(client, node int, key string, call, ret int64, err error) {
	h.write(client, linInput{kind: linDelete, key: key, node: node, rank: -1}, call, ret, err)
}

func (h *linHistory) write(client int, in linInput, call, ret int64, err error) {
	out := linOutput{}
	if err != nil {
		out.err, ret = err.Error(), linNever
		if out.err == "" {
			out.err = "error"
		}
	}
	h.add(client, in, out, call, ret)
}

// Get records a GET of key that was answered: value is the SHA-256 of the
// bytes received, or linAbsent for NoSuchKey. A GET that got no answer
// (an error, a 503) tells nothing and is not recorded.
func (h *linHistory) Get(client, node int, key string, call, ret int64, value string) {
	h.add(client, linInput{kind: linGet, key: key, node: node, rank: -1}, linOutput{value: value}, call, ret)
}

// List records a complete LIST (one page) as a read of every key of keys
// and of seen: seen maps each listed key to its value (linPresent when the
// bytes cannot be told from the ETag); a key of keys not in seen was
// absent.
func (h *linHistory) List(client, node int, keys []string, call, ret int64, seen map[string]string) {
	all := slices.Clone(keys)
	for k := range seen {
		if !slices.Contains(all, k) {
			all = append(all, k)
		}
	}
	for _, k := range all {
		v, ok := seen[k]
		if !ok {
			v = linAbsent
		}
		h.add(client, linInput{kind: linList, key: k, node: node, rank: -1}, linOutput{value: v}, call, ret)
	}
}

func (h *linHistory) add(client int, in linInput, out linOutput, call, ret int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.ops = append(h.ops, porcupine.Operation{ClientId: client, Input: in, Call: call, Output: out, Return: ret})
}

// snapshot returns a copy of the operations and marks recorded so far.
func (h *linHistory) snapshot() ([]porcupine.Operation, []linMark) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.ops), slices.Clone(h.marks)
}

// linState is a key's state in linModel: its value, and how many of its
// deletes of unknown outcome have been placed.
type linState struct {
	value   string
	unknown int
}

// linModel is the sequential specification of one key: a register that a
// PUT sets, a DELETE clears and a read must find as it is. A read of
// linPresent (a LIST whose ETag no write had) only needs an object.
//
// Deletes of unknown outcome on a key are interchangeable: in any order
// that explains the history, the ones used can be swapped for the
// earliest called, in call order, and the others put at the end. So the
// model places them in call order only (linInput.rank), which spares the
// checker the 2^n subsets of n such deletes when it searches a history
// that is not linearizable.
var linModel = porcupine.Model{
	Partition: linByKey,
	Init:      func() any { return linState{value: linAbsent} },
	Step: func(state, input, output any) (bool, any) {
		st, in := state.(linState), input.(linInput)
		switch in.kind {
		case linPut:
			return true, linState{in.value, st.unknown}
		case linDelete:
			if in.rank < 0 {
				return true, linState{linAbsent, st.unknown}
			}
			return in.rank == st.unknown, linState{linAbsent, st.unknown + 1}
		}
		v := output.(linOutput).value
		if v == linPresent {
			return st.value != linAbsent, st
		}
		return v == st.value, st
	},
	Hash: func(state any) uint64 {
		st := state.(linState)
		f := fnv.New64a()
		f.Write([]byte(st.value))
		return f.Sum64() ^ uint64(st.unknown)*0x9e3779b97f4a7c15
	},
	DescribeOperation: func(input, output any) string { return linDescribeOp(input.(linInput), output.(linOutput)) },
	DescribeState:     func(state any) string { return linShort(state.(linState).value) },
}

// linByKey partitions a history by key: a history of registers is
// linearizable if and only if each key's is.
func linByKey(ops []porcupine.Operation) [][]porcupine.Operation {
	var keys []string
	by := map[string][]porcupine.Operation{}
	for _, op := range ops {
		k := op.Input.(linInput).key
		if _, ok := by[k]; !ok {
			keys = append(keys, k)
		}
		by[k] = append(by[k], op)
	}
	slices.Sort(keys)
	out := make([][]porcupine.Operation, 0, len(keys))
	for _, k := range keys {
		out = append(out, by[k])
	}
	return out
}

// linShort shortens a SHA-256 for humans.
func linShort(v string) string {
	if len(v) > 12 {
		return v[:12]
	}
	return v
}

// linDescribeOp is one operation as a person reads it.
func linDescribeOp(in linInput, out linOutput) string {
	s := in.kind.String()
	switch in.kind {
	case linPut:
		s += " " + linShort(in.value)
	case linGet, linList:
		s += " -> " + linShort(out.value)
	}
	if in.node >= 0 {
		s += fmt.Sprintf(" via node %d", in.node+1)
	}
	if out.err != "" {
		s += " (outcome unknown: " + out.err + ")"
	}
	return s
}

// linTimes formats an operation's interval in seconds since the history
// began.
func linTimes(op porcupine.Operation) string {
	ret := "never answered"
	if op.Return != linNever {
		ret = fmt.Sprintf("%.3fs", float64(op.Return)/1e9)
	}
	return fmt.Sprintf("[%.3fs, %s]", float64(op.Call)/1e9, ret)
}
