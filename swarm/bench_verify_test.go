package swarm

import (
	"io"
	"os"
	"testing"
)

// BenchmarkOpenRead256MiB reads a stored 256 MiB file object the way the
// S3 GET path does (s3 sendBody: io.Copy of 1 MiB io.LimitReader chunks,
// so 32 KiB reads): "verified" through Open, every piece checked with
// read-ahead, and "raw" straight from the file, the bound without checks.
func BenchmarkOpenRead256MiB(b *testing.B) {
	s := newSwarm(b)
	obj := mustPut(b, s, randBytes(42, 256<<20))
	for _, bc := range []struct {
		name string
		open func() (io.ReadCloser, error)
	}{
		{"verified", func() (io.ReadCloser, error) { return s.Open(b.Context(), obj.ID) }},
		{"raw", func() (io.ReadCloser, error) { return os.Open(s.data.objPath(obj.ID)) }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(obj.Size)
			cpu0 := cpuTime()
			for b.Loop() {
				r, err := bc.open()
				if err != nil {
					b.Fatal(err)
				}
				if n := sendLike(b, r); n != obj.Size {
					b.Fatalf("read %d bytes, want %d", n, obj.Size)
				}
				r.Close()
			}
			b.ReportMetric(float64((cpuTime()-cpu0).Milliseconds())/float64(b.N), "cpu-ms/op")
			b.ReportMetric(float64(b.N)*float64(obj.Size)/(1<<20)/b.Elapsed().Seconds(), "MiB/s")
		})
	}
}

// sendLike copies r to nowhere in 1 MiB io.LimitReader chunks, as s3's
// sendBody does, and returns the bytes copied.
func sendLike(b *testing.B, r io.Reader) int64 {
	var total int64
	for {
		n, err := io.Copy(struct{ io.Writer }{io.Discard}, io.LimitReader(r, 1<<20))
		total += n
		if err != nil {
			b.Fatal(err)
		}
		if n < 1<<20 {
			return total
		}
	}
}
