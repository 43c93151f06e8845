package dht

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/d3s/d3s/dht/record"
)

// BenchmarkPutGet5Nodes measures DHT latency on a 5-node loopback network:
// a catalogue head put on one node (confirmed stored by a peer) and read on
// another. Run:
//
//	CGO_ENABLED=0 go test ./dht -run '^$' -bench PutGet5Nodes -benchtime 200x
func BenchmarkPutGet5Nodes(b *testing.B) {
	nodes := startNetwork(b, 5, record.NetworkKey{9})
	alice := newSigner(b)
	key := record.CatalogHeadKey(alice.akid, "bench")
	var puts, gets []time.Duration
	seq := uint64(0)
	for b.Loop() {
		seq++
		v := alice.head("bench", seq, "k").Marshal()
		ctx, cancel := context.WithTimeout(b.Context(), 10*time.Second)
		start := time.Now()
		if err := nodes[int(seq)%5].dht.Put(ctx, key, v); err != nil {
			b.Fatalf("put: %v", err)
		}
		mid := time.Now()
		if _, err := nodes[int(seq+2)%5].dht.Get(ctx, key); err != nil {
			b.Fatalf("get: %v", err)
		}
		gets = append(gets, time.Since(mid))
		puts = append(puts, mid.Sub(start))
		cancel()
	}
	report(b, "put", puts)
	report(b, "get", gets)
}

// report adds the median and p99 of ds, in milliseconds, to b's output.
func report(b *testing.B, what string, ds []time.Duration) {
	slices.Sort(ds)
	ms := func(q float64) float64 {
		return float64(ds[int(q*float64(len(ds)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(ms(0.5), what+"-p50-ms")
	b.ReportMetric(ms(0.99), what+"-p99-ms")
}
