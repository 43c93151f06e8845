package e2e

import (
	"bytes"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/d3s/d3s/node"
)

// The multi-node figures in BENCHMARKS.md (issue 3):
//
//	CGO_ENABLED=0 go test ./e2e -run '^$' -bench Visibility5Nodes -benchtime 200x
//	CGO_ENABLED=0 go test ./e2e -run '^$' -bench List100kKeys5Nodes -benchtime 3x -timeout 30m

// BenchmarkVisibility5Nodes measures, on 5 in-process nodes, the time from a
// PUT acknowledged on one node until a LIST on another node shows the key
// (default staleness bound), and reports its median and p99.
func BenchmarkVisibility5Nodes(b *testing.B) {
	c := startCluster(b, 5)
	c.createEverywhere(b, "vis")
	var lat []time.Duration
	i := 0
	for b.Loop() {
		w, r := c.nodes[i%5], c.nodes[(i+1+i/5)%5]
		if w == r {
			r = c.nodes[(i+2)%5]
		}
		key := fmt.Sprintf("k%06d", i)
		i++
		if res := w.do(b, "PUT", "/vis/"+key, []byte("v")); res.status != 200 {
			b.Fatalf("PUT: %d %s", res.status, res.body)
		}
		acked := time.Now()
		for !r.lists(b, "vis", key) {
			if time.Since(acked) > 30*time.Second {
				b.Fatalf("%s not visible on another node after 30 s", key)
			}
			time.Sleep(5 * time.Millisecond)
		}
		lat = append(lat, time.Since(acked))
	}
	reportLatency(b, "visible", lat)
}

// lists reports whether n's listing of bucket under prefix key has key.
func (n *testNode) lists(b testing.TB, bucket, key string) bool {
	r := n.do(b, "GET", "/"+bucket+"?list-type=2&prefix="+url.QueryEscape(key), nil)
	return r.status == 200 && strings.Contains(string(r.body), "<Key>"+key+"</Key>")
}

// createEverywhere creates bucket on the first node and waits until every
// node knows it.
func (c *cluster) createEverywhere(b testing.TB, bucket string) {
	if r := c.nodes[0].do(b, "PUT", "/"+bucket, nil); r.status != 200 {
		b.Fatalf("create bucket: %d %s", r.status, r.body)
	}
	for _, n := range c.nodes {
		eventually(b, 10*time.Second, "bucket on every node", func() error {
			if r := n.do(b, "HEAD", "/"+bucket, nil); r.status != 200 {
				return fmt.Errorf("HEAD %d", r.status)
			}
			return nil
		})
	}
}

// BenchmarkList100kKeys5Nodes fills a bucket with 100 000 keys through node
// 1 of a 5-node network, waits until node 4 lists all of them, then times
// ListObjectsV2 (pages of 1000) on node 4, from its local cache.
func BenchmarkList100kKeys5Nodes(b *testing.B) {
	const keys = 100_000
	c := startCluster(b, 5)
	c.createEverywhere(b, "big")
	fill := time.Now()
	var wg sync.WaitGroup
	for w := range 16 {
		wg.Go(func() {
			for i := w; i < keys; i += 16 {
				c.nodes[0].do(b, "PUT", fmt.Sprintf("/big/d%02d/k%06d", i%100, i), []byte("v"))
			}
		})
	}
	wg.Wait()
	b.Logf("filled %d keys in %v", keys, time.Since(fill))
	reader := c.nodes[3]
	eventually(b, 5*time.Minute, "node 4 lists every key", func() error {
		got, err := reader.listKeys(b, "big")
		if err == nil && len(got) != keys {
			err = fmt.Errorf("%d keys", len(got))
		}
		return err
	})
	start := time.Now()
	for b.Loop() {
		if got, err := reader.listKeys(b, "big"); err != nil || len(got) != keys {
			b.Fatalf("listed %d keys, %v", len(got), err)
		}
	}
	b.ReportMetric(float64(b.N*keys)/time.Since(start).Seconds(), "keys/s")
}

// reportLatency adds the median and p99 of ds, in milliseconds.
func reportLatency(b *testing.B, what string, ds []time.Duration) {
	slices.Sort(ds)
	ms := func(q float64) float64 {
		return float64(ds[int(q*float64(len(ds)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(ms(0.5), what+"-p50-ms")
	b.ReportMetric(ms(0.99), what+"-p99-ms")
}

// putSyncRuns numbers the runs of BenchmarkPutSyncReplicas in a process.
var putSyncRuns atomic.Int64

// BenchmarkPutSyncReplicas measures PUT latency on 3 nodes with
// --sync-replicas 1 and 2, for a 64 KiB object (replicated inline) and an
// 8 MiB one (replicated through BitTorrent):
//
//	CGO_ENABLED=0 go test ./e2e -run '^$' -bench PutSyncReplicas -benchtime 30x
func BenchmarkPutSyncReplicas(b *testing.B) {
	for _, sync := range []int{1, 2} {
		c := startClusterWith(b, 3, func(cfg *node.Config) { cfg.SyncReplicas = sync })
		c.createEverywhere(b, "lat")
		for _, size := range []int{64 << 10, 8 << 20} {
			b.Run(fmt.Sprintf("sync%d/%dKiB", sync, size>>10), func(b *testing.B) {
				body := bytes.Repeat([]byte{byte(sync)}, size)
				run := putSyncRuns.Add(1) // -count reruns share the cluster: new bytes each run
				var lat []time.Duration
				i := 0
				for b.Loop() {
					i++
					copy(body, fmt.Sprintf("%d-%d-%d", run, b.N, i)) // distinct bytes: no dedup
					start := time.Now()
					if r := c.nodes[i%3].do(b, "PUT", fmt.Sprintf("/lat/%d-%d", size, i), body); r.status != 200 {
						b.Fatalf("PUT: %d %s", r.status, r.body)
					}
					lat = append(lat, time.Since(start))
				}
				reportLatency(b, "put", lat)
			})
		}
	}
}
