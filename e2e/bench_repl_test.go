package e2e

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/d3s/d3s/node"
)

// The replication figures of issue 4 in BENCHMARKS.md. All nodes run in
// this process on loopback, so the S3 client, the reader and the holders
// share the machine's cores:
//
//	CGO_ENABLED=0 go test ./e2e -run '^$' -bench GetRemote256MiB -benchtime 3x -count 3
//	CGO_ENABLED=0 go test ./e2e -run '^$' -bench TimeToRCopies -benchtime 10x -count 3
//	CGO_ENABLED=0 go test ./e2e -run '^$' -bench ReplicationCPU -benchtime 3x -count 3

const oneMiB = 1 << 20

// BenchmarkGetRemote256MiB GETs a 256 MiB object through the S3 API of a
// node that does not hold it, while exactly 1 or 3 other nodes do, and
// reports the median throughput (MiB/s, request to last byte) and time to
// first byte (ttfb-ms, request to first body byte). Every iteration reads
// a new object, so the reader never has the bytes before the timed GET.
func BenchmarkGetRemote256MiB(b *testing.B) {
	for _, h := range []int{1, 3} {
		b.Run(fmt.Sprintf("holders=%d", h), func(b *testing.B) { benchGetRemote(b, h) })
	}
}

func benchGetRemote(b *testing.B, holders int) {
	const size = 256 * oneMiB
	// R = holders and one node more, the reader: every node knows every
	// member, so the reader's placement lookup names exactly the holders.
	// No read cache (CacheSize < 0): the reader drops each object once
	// read, so the disk holds only what the holders must.
	// Each node's download log (logs[i] is node i's: startClusterWith
	// configures them in order) tells which peers sent the bytes.
	var logs []*downloadLog
	rb := startReplBench(b, holders+1, func(cfg *node.Config) {
		cfg.Replicas, cfg.SyncReplicas, cfg.CacheSize = holders, 1, -1
		logs = append(logs, newDownloadLog())
		cfg.Logger = slog.New(logs[len(logs)-1])
	})
	body := randomBody(b, size)
	buf := make([]byte, size)
	var rates, ttfbs, sources []float64
	puts, i := 0, 0
	for b.Loop() {
		b.StopTimer()
		key, sum, reader, tries := rb.placeExactly(b, body, holders, i)
		puts += tries
		i++
		logs[reader].take() // the reader may have replicated other objects
		b.StartTimer()
		ctx, cancel := context.WithTimeout(b.Context(), 5*time.Minute)
		n, ttfb, total, err := timedGet(ctx, rb.clients[reader], rb.bucket, key, buf)
		cancel()
		b.StopTimer()
		if err != nil {
			b.Fatalf("node %d: %v", reader+1, err)
		}
		if n != size {
			b.Fatalf("GET %s on node %d: %d bytes, want %d", key, reader+1, n, size)
		}
		if got := sha256Hex(buf); got != sum {
			b.Fatalf("GET %s on node %d: SHA-256 %s, want %s", key, reader+1, got, sum)
		}
		rates = append(rates, float64(size)/oneMiB/total.Seconds())
		ttfbs = append(ttfbs, millis(ttfb))
		from, ok := awaitDownload(b, logs[reader])
		if ok {
			sources = append(sources, float64(countSources(from, oneMiB)))
		}
		b.Logf("%s from %d holders on node %d: %.0f MiB/s, first byte after %v, KiB sent by %s",
			key, holders, reader+1, rates[len(rates)-1], ttfb, rb.kibByNode(from))
		b.StartTimer()
	}
	b.ReportMetric(medianOf(rates), "MiB/s")
	b.ReportMetric(medianOf(ttfbs), "ttfb-ms")
	if len(sources) > 0 {
		b.ReportMetric(medianOf(sources), "sources")
	}
	b.Logf("%d PUTs of 256 MiB to place %d objects on exactly %d holders", puts, i, holders)
}

// awaitDownload waits until the reader's swarm logged its completed
// download (it commits the object just after the last byte is served)
// and returns the useful bytes each peer sent; ok is false when other
// downloads (a replication or repair the reader runs as a holder of
// another object) completed meanwhile, so that the read's is not known.
func awaitDownload(b *testing.B, l *downloadLog) (from map[string]int64, ok bool) {
	b.Helper()
	var done []map[string]int64
	eventually(b, 30*time.Second, "the reader's download completes", func() error {
		if done = l.take(); len(done) == 0 {
			return errors.New("no download completed")
		}
		return nil
	})
	if len(done) > 1 {
		b.Logf("%d downloads completed on the reader: peers not counted for this read", len(done))
		return nil, false
	}
	return done[0], true
}

// countSources counts the peers that sent at least minBytes.
func countSources(from map[string]int64, minBytes int64) int {
	n := 0
	for _, b := range from {
		if b >= minBytes {
			n++
		}
	}
	return n
}

// kibByNode returns, for the log, the KiB each peer sent, peers named
// by their node number when they are nodes of the cluster.
func (rb *replBench) kibByNode(from map[string]int64) string {
	var out []string
	for name, b := range from {
		for i, n := range rb.c.nodes {
			if n.PeerID() == name {
				name = fmt.Sprintf("node %d", i+1)
			}
		}
		out = append(out, fmt.Sprintf("%s: %d", name, b>>10))
	}
	slices.Sort(out)
	return strings.Join(out, ", ")
}

// placeExactly PUTs fresh versions of body until one is held by exactly
// h nodes and not by its writer's leftovers: the node that does not hold
// it must never have had its bytes. A writer outside the placement holds
// its version too until it hands it over to the h holders (repair loop),
// and may keep the bytes after, so such a version is put aside and
// another PUT through the next node. It returns the version's key, its
// SHA-256, the one node that does not hold it, and how many PUTs it took.
func (rb *replBench) placeExactly(b *testing.B, body []byte, h, iter int) (key, sum string, reader, tries int) {
	b.Helper()
	nodes := len(rb.c.nodes)
	for try := range 4 * nodes {
		w := (iter + try) % nodes
		key = fmt.Sprintf("get-%d-%d", iter, try)
		sum = stamp(body, fmt.Sprintf("%s %d", key, time.Now().UnixNano()))
		rb.put(b, w, key, body)
		rb.waitReplicated(b, w)
		set := rb.holderSet(b, key)
		checkPlacement(b, key, w, set, h)
		if len(set) == h && slices.Contains(set, w) {
			for i := range nodes {
				if !slices.Contains(set, i) {
					return key, sum, i, try + 1
				}
			}
		}
	}
	b.Fatalf("no version of %d PUTs held by exactly %d nodes", 4*nodes, h)
	return
}

// checkPlacement fails b unless the nodes in set (indices) are what a
// version written on node w with R = r must leave once its replication
// queue is empty: r holders, the writer among them or not, or r holders
// and a writer outside them that has not handed its copy over yet.
func checkPlacement(b *testing.B, key string, w int, set []int, r int) {
	b.Helper()
	switch {
	case len(set) == r:
	case len(set) == r+1 && slices.Contains(set, w):
	default:
		b.Fatalf("%s written on node %d held by nodes %v (from 0), want %d holders, or %d and the writer",
			key, w+1, set, r, r)
	}
}

// BenchmarkTimeToRCopies PUTs objects of 1 MiB (replicated inline, in the
// request) and 64 MiB (replicated by BitTorrent) on 5 nodes with R = 3
// and --sync-replicas 1, and reports the median time from the start of
// the PUT until R copies are durable (rcopies-ms: the writer's own and
// R-1 that holders confirmed), until the PUT was acknowledged (ack-ms),
// and until every holder confirmed its copy (all-ms; more than R copies
// when the writer is not among the R placement holders).
func BenchmarkTimeToRCopies(b *testing.B) {
	for _, size := range []int{1 * oneMiB, 64 * oneMiB} {
		b.Run(fmt.Sprintf("%dMiB", size/oneMiB), func(b *testing.B) { benchTimeToRCopies(b, size) })
	}
}

// benchTimeToRCopies runs on a cluster of its own: -count runs a
// sub-benchmark again without its parent, and holderSet needs keys
// written once.
func benchTimeToRCopies(b *testing.B, size int) {
	const r = 3
	rb := startReplBench(b, 5, func(cfg *node.Config) { cfg.Replicas, cfg.SyncReplicas = r, 1 })
	body := randomBody(b, size)
	var acks, rcopies, all []float64
	i := 0
	for b.Loop() {
		b.StopTimer()
		w := i % len(rb.c.nodes)
		key := fmt.Sprintf("copies-%d-%d", size/oneMiB, i)
		i++
		sum := stamp(body, fmt.Sprintf("%s %d", key, time.Now().UnixNano()))
		b.StartTimer()
		start := time.Now()
		rb.put(b, w, key, body)
		acked := time.Since(start)
		samples := pollPending(b, rb.c.nodes[w], start)
		b.StopTimer()
		set := rb.holderSet(b, key)
		checkPlacement(b, key, w, set, r)
		tasks := len(slices.DeleteFunc(slices.Clone(set), func(i int) bool { return i == w })) // one per holder but the writer
		at, ok := firstWith(samples, tasks-(r-1))
		if !ok {
			b.Fatalf("%s: never %d pending replications or fewer: %v", key, tasks-(r-1), samples)
		}
		for _, h := range set {
			if h == w {
				continue
			}
			if got, err := rb.c.nodes[h].getSHA256(b, rb.bucket, key); err != nil || got != sum {
				b.Fatalf("%s on holder node %d: SHA-256 %s, %v; want %s", key, h+1, got, err, sum)
			}
		}
		acks = append(acks, millis(acked))
		rcopies = append(rcopies, millis(at))
		all = append(all, millis(samples[len(samples)-1].at))
		b.StartTimer()
	}
	b.ReportMetric(medianOf(acks), "ack-ms")
	b.ReportMetric(medianOf(rcopies), "rcopies-ms")
	b.ReportMetric(medianOf(all), "all-ms")
}

// pendingSample is the writer's replication queue length at a time
// since the PUT started.
type pendingSample struct {
	at      time.Duration
	pending int
}

// pollPending samples n's replication queue every 2 ms until it is empty
// and returns the first sample and every change, times from start.
func pollPending(b *testing.B, n *testNode, start time.Time) []pendingSample {
	b.Helper()
	var out []pendingSample
	for {
		p, err := n.PendingReplications()
		if err != nil {
			b.Fatalf("pending replications: %v", err)
		}
		if len(out) == 0 || out[len(out)-1].pending != p {
			out = append(out, pendingSample{time.Since(start), p})
		}
		if p == 0 {
			return out
		}
		if time.Since(start) > 5*time.Minute {
			b.Fatalf("replications still pending after 5 min: %v", out)
		}
		time.Sleep(2 * time.Millisecond) // the sampling period, not a wait for a condition
	}
}

// firstWith returns the time of the first sample with at most limit
// pending replications.
func firstWith(samples []pendingSample, limit int) (time.Duration, bool) {
	for _, s := range samples {
		if s.pending <= limit {
			return s.at, true
		}
	}
	return 0, false
}

// BenchmarkReplicationCPU writes 4 objects of 64 MiB on the first of 3
// nodes with R = 3 and --sync-replicas 1, and measures the CPU time the
// whole process (writer and both holders: all nodes run here) spends from
// each PUT's acknowledgement until both holders confirmed their copy,
// minus the process's idle CPU over the same time (measured before each
// iteration). It reports CPU seconds per GiB copied (cpu-s/GiB-copied:
// each holder's copy counts, so one object makes 2 × 64 MiB of copies),
// the aggregate copy rate and the idle baseline. The PUT itself (hashing
// on the writer, the HTTP request) is not counted.
func BenchmarkReplicationCPU(b *testing.B) {
	const (
		r       = 3
		objects = 4
		size    = 64 * oneMiB
	)
	rb := startReplBench(b, r, func(cfg *node.Config) { cfg.Replicas, cfg.SyncReplicas = r, 1 })
	w := rb.c.nodes[0]
	body := randomBody(b, size)
	var perGiB, rates, idles []float64
	i := 0
	for b.Loop() {
		b.StopTimer()
		idle := idleCPU(b, w, time.Second)
		b.StartTimer()
		var cpu, wall time.Duration
		for j := range objects {
			key := fmt.Sprintf("cpu-%d-%d", i, j)
			sum := stamp(body, fmt.Sprintf("%s %d", key, time.Now().UnixNano()))
			rb.put(b, 0, key, body)
			c0, t0 := processCPU(b), time.Now()
			pollPending(b, w, t0)
			d := time.Since(t0)
			cpu += processCPU(b) - c0 - time.Duration(idle*float64(d))
			wall += d
			b.StopTimer()
			rb.checkEveryCopy(b, key, sum)
			b.StartTimer()
		}
		i++
		copied := float64(objects * size * (r - 1))
		perGiB = append(perGiB, cpu.Seconds()/(copied/(1<<30)))
		rates = append(rates, copied/oneMiB/wall.Seconds())
		idles = append(idles, idle*1000)
	}
	b.ReportMetric(medianOf(perGiB), "cpu-s/GiB-copied")
	b.ReportMetric(medianOf(rates), "copy-MiB/s")
	b.ReportMetric(medianOf(idles), "idle-cpu-ms/s")
}

// idleCPU returns the process's CPU seconds per second over d while
// nothing but the nodes' background loops and the same sampling of n's
// replication queue as pollPending run.
func idleCPU(b *testing.B, n *testNode, d time.Duration) float64 {
	b.Helper()
	c0, t0 := processCPU(b), time.Now()
	for time.Since(t0) < d {
		if _, err := n.PendingReplications(); err != nil {
			b.Fatalf("pending replications: %v", err)
		}
		time.Sleep(2 * time.Millisecond) // the sampling period, as in pollPending
	}
	return (processCPU(b) - c0).Seconds() / time.Since(t0).Seconds()
}

// checkEveryCopy checks that every node holds key (R is the cluster's
// size) and that each returns body's SHA-256 sum.
func (rb *replBench) checkEveryCopy(b *testing.B, key, sum string) {
	b.Helper()
	if set := rb.holderSet(b, key); len(set) != len(rb.c.nodes) {
		b.Fatalf("%s held by nodes %v, want all %d", key, set, len(rb.c.nodes))
	}
	for i, n := range rb.c.nodes {
		if got, err := n.getSHA256(b, rb.bucket, key); err != nil || got != sum {
			b.Fatalf("%s on node %d: SHA-256 %s, %v; want %s", key, i+1, got, err, sum)
		}
	}
}
