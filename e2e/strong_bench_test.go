//go:build long

package e2e

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// TestStrongBench measures what strong consistency costs (issue 11) on
// real d3sd processes, per mode, and logs one table:
//
//	CGO_ENABLED=0 go test -tags long ./e2e -run TestStrongBench -v -count=1 -timeout 30m
//
// D3S_BENCH_MODES lists the modes (default "strong,eventual"). Every node
// runs with the default --sync-replicas. The rows:
//   - PUT 4 KiB / 1 MiB p50, p99: sequential PUTs from one aws-sdk-go-v2
//     client at its default settings to node 1 of 5;
//   - PUT/s 4 KiB, 16 clients: 16 clients (one SDK client each) PUT
//     benchPutsParallel objects, on a 1-node network, spread over the 5
//     nodes of a 5-node one, and all to node 1 of the 5;
//   - GET fresh: PUT on node A, then at once GET on node B (a read the
//     node must check in strong mode); in eventual mode the 404s are
//     counted and the GET's time is its first answer's;
//   - GET settled: GET on nodes 2–5 of keys written on node 1 seconds
//     before;
//   - LIST fresh: PUT on node A, then at once LIST (prefix, 100 keys) on
//     node B; LIST settled: the same LIST again with no write between;
//   - machine: loopback TCP round trip, HTTP round trip (net/http, keep
//     alive), one 4 KiB write + fsync in the test's temp dir (where the
//     nodes keep their data).
func TestStrongBench(t *testing.T) {
	modes := strings.Split(envOr("D3S_BENCH_MODES", "strong,eventual"), ",")
	tab := newBenchTable(modes)
	machineLimits(t, tab)
	for _, mode := range modes {
		t.Run(mode+"/5nodes", func(t *testing.T) { benchFive(t, tab, mode) })
		t.Run(mode+"/1node", func(t *testing.T) {
			cn := startConsNet(t, 1, mode, "bench")
			tab.set("PUT/s 4 KiB, 16 clients, 1 node", mode, putsPerSecond(t, cn.procs))
			tab.set("  non-2xx answers the SDK retried, 16 clients 1 node", mode, takeRefusals())
			tab.set("machine: load average (1 min) at the end", mode, loadAvg())
		})
	}
	t.Log(tab)
}

const (
	benchSmallPuts    = 300
	benchBigPuts      = 40
	benchPutsParallel = 2000
	benchFreshReads   = 200
	benchListKeys     = 100
)

func benchFive(t *testing.T, tab *benchTable, mode string) {
	cn := startConsNet(t, 5, mode, "bench")
	tab.set("machine: load average (1 min) at the start", mode, loadAvg())
	c := benchSDK(cn.procs[0])
	small := make([]string, 0, benchSmallPuts)
	var lat []time.Duration
	for i := range benchSmallPuts {
		key := fmt.Sprintf("seq4k/%05d", i)
		lat = append(lat, timedPut(t, c, key, 4<<10))
		small = append(small, key)
	}
	tab.setLatency("PUT 4 KiB (1 client, node 1 of 5)", mode, lat)
	lat = lat[:0]
	for i := range benchBigPuts {
		lat = append(lat, timedPut(t, c, fmt.Sprintf("seq1m/%05d", i), 1<<20))
	}
	tab.setLatency("PUT 1 MiB (1 client, node 1 of 5)", mode, lat)
	tab.set("  non-2xx answers the SDK retried, sequential PUTs", mode, takeRefusals())
	tab.set("PUT/s 4 KiB, 16 clients, 5 nodes", mode, putsPerSecond(t, cn.procs))
	tab.set("  non-2xx answers the SDK retried, 16 clients 5 nodes", mode, takeRefusals())
	tab.set("PUT/s 4 KiB, 16 clients all on node 1 of 5", mode, putsPerSecond(t, cn.procs[:1]))
	tab.set("  non-2xx answers the SDK retried, 16 clients node 1", mode, takeRefusals())
	benchFreshGets(t, tab, cn)
	benchSettledGets(t, tab, cn, small)
	benchLists(t, tab, cn)
}

// benchFreshGets PUTs on node A and GETs on node B at once.
func benchFreshGets(t *testing.T, tab *benchTable, cn *consNet) {
	var lat []time.Duration
	misses := 0
	for i := range benchFreshReads {
		a, b := i%5, (i+1+i/5%4)%5
		key := fmt.Sprintf("fresh/%05d", i)
		timedPut(t, cn.clients[a], key, 4<<10)
		start := time.Now()
		v, err := readVersion(t.Context(), cn.clients[b], opGet, "bench", key)
		lat = append(lat, time.Since(start))
		if err != nil {
			t.Fatalf("GET %s on node %d: %v", key, b+1, err)
		}
		if v.absent() {
			misses++
		}
	}
	tab.setLatency("GET 4 KiB written on another node, at once", cn.mode, lat)
	tab.set("  of which 404 (not yet visible)", cn.mode, fmt.Sprintf("%d of %d", misses, len(lat)))
}

// benchSettledGets GETs keys node 1 wrote seconds ago from nodes 2–5.
func benchSettledGets(t *testing.T, tab *benchTable, cn *consNet, keys []string) {
	for i := 1; i < len(cn.clients); i++ {
		eventually(t, 60*time.Second, fmt.Sprintf("node %d lists %d keys", i+1, len(keys)), func() error {
			got, err := listPrefix(t.Context(), cn.clients[i], "bench", "seq4k/")
			if err == nil && len(got) != len(keys) {
				err = fmt.Errorf("%d listed", len(got))
			}
			return err
		})
	}
	var lat []time.Duration
	for i, key := range keys {
		n := 1 + i%4
		start := time.Now()
		v, err := readVersion(t.Context(), cn.clients[n], opGet, "bench", key)
		lat = append(lat, time.Since(start))
		if err != nil || v.absent() {
			t.Fatalf("GET %s on node %d: %v %v", key, n+1, v, err)
		}
	}
	tab.setLatency("GET 4 KiB written on another node, settled", cn.mode, lat)
}

// benchLists LISTs 100 keys on node B right after a PUT on node A (must
// revalidate in strong mode), then again with no write between.
func benchLists(t *testing.T, tab *benchTable, cn *consNet) {
	for i := range benchListKeys {
		timedPut(t, cn.clients[0], fmt.Sprintf("list/%05d", i), 64)
	}
	list := func(n int) time.Duration {
		start := time.Now()
		out, err := cn.clients[n].ListObjectsV2(t.Context(), &s3.ListObjectsV2Input{Bucket: aws.String("bench"), Prefix: aws.String("list/")})
		if err != nil {
			t.Fatalf("LIST on node %d: %v", n+1, err)
		}
		_ = out
		return time.Since(start)
	}
	var fresh, settled []time.Duration
	for i := range benchFreshReads {
		a, b := i%5, (i+2)%5
		timedPut(t, cn.clients[a], fmt.Sprintf("list/%05d", i%benchListKeys), 64) // an overwrite: the listing keeps 100 keys
		fresh = append(fresh, list(b))
		settled = append(settled, list(b))
	}
	tab.setLatency("LIST 100 keys right after a PUT elsewhere", cn.mode, fresh)
	tab.setLatency("LIST 100 keys, no write since the last LIST", cn.mode, settled)
}

// putsPerSecond PUTs benchPutsParallel 4 KiB objects into bucket "bench"
// from 16 clients spread over procs and returns the rate.
func putsPerSecond(t *testing.T, procs []*procNode) string {
	var next, failed atomic.Int64
	body := bytes.Repeat([]byte("x"), 4<<10)
	var wg sync.WaitGroup
	start := time.Now()
	for w := range 16 {
		c := benchSDK(procs[w%len(procs)])
		wg.Go(func() {
			for {
				i := next.Add(1)
				key := fmt.Sprintf("par/%d-%06d", len(procs), i)
				if i > benchPutsParallel {
					return
				}
				b := slices.Clone(body)
				copy(b, fmt.Sprintf("%d-%d", w, i)) // distinct bytes
				_, err := c.PutObject(t.Context(), &s3.PutObjectInput{Bucket: aws.String("bench"), Key: aws.String(key), Body: bytes.NewReader(b)})
				if err != nil {
					failed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	took := time.Since(start)
	if n := failed.Load(); n > 0 {
		t.Errorf("%d of %d parallel PUTs failed", n, benchPutsParallel)
	}
	return fmt.Sprintf("%.0f", float64(benchPutsParallel)/took.Seconds())
}

// timedPut PUTs size bytes (distinct each call) to key through c.
func timedPut(t *testing.T, c *s3.Client, key string, size int) time.Duration {
	body, _ := randomBytes(t, size)
	start := time.Now()
	if _, err := c.PutObject(t.Context(), &s3.PutObjectInput{Bucket: aws.String("bench"), Key: aws.String(key), Body: bytes.NewReader(body)}); err != nil {
		t.Fatalf("PUT %s: %v", key, err)
	}
	return time.Since(start)
}

// benchSDK is an aws-sdk-go-v2 client at its default settings (retries,
// HTTP client, checksums) for p; its HTTP answers other than 2xx are
// counted in benchRefusals, since the SDK retries 503s and 409s unseen.
func benchSDK(p *procNode) *s3.Client {
	return s3.New(s3.Options{
		Region:                     "us-east-1",
		BaseEndpoint:               aws.String(p.endpoint),
		UsePathStyle:               true,
		Credentials:                credentials.NewStaticCredentialsProvider(p.access, p.secret, ""),
		HTTPClient:                 countingDoer{awshttp.NewBuildableClient()},
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenSupported,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenSupported,
	})
}

// benchRefusals counts the non-2xx answers benchSDK clients received, by
// status.
var benchRefusals sync.Map // int -> *atomic.Int64

type countingDoer struct{ s3.HTTPClient }

func (d countingDoer) Do(r *http.Request) (*http.Response, error) {
	resp, err := d.HTTPClient.Do(r)
	if err == nil && resp.StatusCode >= 300 {
		n, _ := benchRefusals.LoadOrStore(resp.StatusCode, new(atomic.Int64))
		n.(*atomic.Int64).Add(1)
	}
	return resp, err
}

// takeRefusals returns and resets the counts of benchRefusals.
func takeRefusals() string {
	var parts []string
	benchRefusals.Range(func(k, v any) bool {
		parts = append(parts, fmt.Sprintf("%d × %d", v.(*atomic.Int64).Load(), k))
		benchRefusals.Delete(k)
		return true
	})
	slices.Sort(parts)
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// loadAvg is the machine's 1-minute load average (the machine is shared).
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Fields(string(b))[0]
}

// machineLimits measures the machine's own floor for the table.
func machineLimits(t *testing.T, tab *benchTable) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err == nil {
			io.Copy(c, c)
			c.Close()
		}
	}()
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	var lat []time.Duration
	b := []byte{1}
	for range 2000 {
		start := time.Now()
		if _, err := conn.Write(b); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(conn, b); err != nil {
			t.Fatal(err)
		}
		lat = append(lat, time.Since(start))
	}
	conn.Close()
	tab.setAll("machine: loopback TCP round trip", lat)

	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	lat = lat[:0]
	for range 2000 {
		start := time.Now()
		resp, err := srv.Client().Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		lat = append(lat, time.Since(start))
	}
	tab.setAll("machine: HTTP round trip (keep-alive)", lat)

	f, err := os.Create(filepath.Join(t.TempDir(), "fsync"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	page := make([]byte, 4<<10)
	lat = lat[:0]
	for range 200 {
		start := time.Now()
		if _, err := f.Write(page); err != nil {
			t.Fatal(err)
		}
		if err := f.Sync(); err != nil {
			t.Fatal(err)
		}
		lat = append(lat, time.Since(start))
	}
	tab.setAll("machine: 4 KiB write + fsync ("+os.TempDir()+")", lat)
}

// benchTable is the result table: rows in insertion order, one column per
// mode.
type benchTable struct {
	mu    sync.Mutex
	modes []string
	rows  []string
	cells map[[2]string]string
}

func newBenchTable(modes []string) *benchTable {
	return &benchTable{modes: modes, cells: map[[2]string]string{}}
}

func (b *benchTable) set(row, mode, v string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !slices.Contains(b.rows, row) {
		b.rows = append(b.rows, row)
	}
	b.cells[[2]string{row, mode}] = v
}

func (b *benchTable) setLatency(row, mode string, ds []time.Duration) {
	b.set(row+" p50 / p99", mode, fmt.Sprintf("%.2f / %.2f ms", millis(percentile(ds, 50)), millis(percentile(ds, 99))))
}

func (b *benchTable) setAll(row string, ds []time.Duration) {
	for _, m := range b.modes {
		b.setLatency(row, m, ds)
	}
}

func (b *benchTable) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var s strings.Builder
	fmt.Fprintf(&s, "\n%-58s", "")
	for _, m := range b.modes {
		fmt.Fprintf(&s, " %22s", m)
	}
	for _, r := range b.rows {
		fmt.Fprintf(&s, "\n%-58s", r)
		for _, m := range b.modes {
			fmt.Fprintf(&s, " %22s", b.cells[[2]string{r, m}])
		}
	}
	return s.String()
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
