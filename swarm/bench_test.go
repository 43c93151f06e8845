package swarm

import (
	"github.com/d3s/d3s/swarm/internal/infodict"

	"github.com/d3s/d3s/swarm/internal/onepass"

	"bytes"
	"context"
	"encoding/binary"
	"runtime"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// BenchmarkPut256MiB measures a durable PUT of 256 MiB: one pass that
// writes, fsyncs and computes MD5, SHA-256 and the SHA-1 pieces.
func BenchmarkPut256MiB(b *testing.B) {
	s := newSwarm(b)
	data := randBytes(42, 256<<20)
	b.SetBytes(int64(len(data)))
	cpu0 := cpuTime()
	for i := 0; b.Loop(); i++ {
		binary.LittleEndian.PutUint64(data, uint64(i)) // distinct content: no dedup
		obj, err := s.Put(context.Background(), bytes.NewReader(data), int64(len(data)), Expect{})
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if err := s.Release(context.Background(), obj.ID); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64((cpuTime()-cpu0).Milliseconds())/float64(b.N), "cpu-ms/op")
	b.ReportMetric(float64(b.N)*float64(len(data))/(1<<20)/b.Elapsed().Seconds(), "MiB/s")
}

// BenchmarkPutSmall4KiB measures durable 4 KiB PUTs from 16 concurrent
// clients, stored inline (group commit) and, for comparison, as files.
func BenchmarkPutSmall4KiB(b *testing.B) {
	for _, bc := range []struct {
		name      string
		inlineMax int64
	}{{"inline", 0}, {"files", -1}} {
		b.Run(bc.name, func(b *testing.B) {
			s := openSwarm(b, b.TempDir(), bc.inlineMax)
			var n atomic.Uint64
			b.SetParallelism(max(1, 16/runtime.GOMAXPROCS(0)))
			b.SetBytes(4 << 10)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				buf := make([]byte, 4<<10)
				for pb.Next() {
					binary.LittleEndian.PutUint64(buf, n.Add(1))
					if _, err := s.Put(context.Background(), bytes.NewReader(buf), int64(len(buf)), Expect{}); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "puts/s")
		})
	}
}

// BenchmarkHashPass256MiB is Put without the file: the CPU bound of the
// pipeline (MD5, SHA-256 and SHA-1 pieces in parallel), to compare with
// BenchmarkPut256MiB on a busy machine.
func BenchmarkHashPass256MiB(b *testing.B) {
	data := randBytes(42, 256<<20)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := onepass.Run(context.Background(), bytes.NewReader(data), int64(len(data)), infodict.PieceLength(int64(len(data))), true, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)*float64(len(data))/(1<<20)/b.Elapsed().Seconds(), "MiB/s")
}

// cpuTime is the process's user+system CPU time: on a shared machine it
// shows the work per PUT when the wall-clock rate shows the neighbours.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
