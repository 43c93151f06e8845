//go:build long

package e2e

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Bounds of issue 4's scale check.
const (
	scaleObjects  = 100_000
	scaleClients  = 16
	scaleMaxRSS   = 300 << 20 // bytes, idle
	scaleMaxFirst = 10 * time.Second
	scaleBucket   = "scale"
	// clockTicks is USER_HZ, the unit of /proc/PID/stat CPU times (100 on
	// every Linux architecture Go supports).
	clockTicks = 100
)

// scaleObject is object i of TestScaleIdleRSSAndRestart: 1–16 KiB, so that
// both inline (up to 8 KiB) and file objects exist.
func scaleObject(i int) testObject {
	r := rand.New(rand.NewPCG(uint64(i), 0x5ca1e))
	return testObject{key: fmt.Sprintf("k/%06d", i), size: 1<<10 + r.IntN(15<<10+1), seed: 3<<32 | uint64(i)}
}

// TestScaleIdleRSSAndRestart fills one d3sd process with 100 000 small
// objects over S3 from 16 concurrent clients, then checks that, once idle,
// its resident memory is at most 300 MiB, and that after SIGTERM and a
// restart it serves a GET of a random key within 10 s of the process
// start.
func TestScaleIdleRSSAndRestart(t *testing.T) {
	dir, addr := t.TempDir(), freeAddr(t)
	p := startProc(t, dir, addr)
	c := plainSDK(t, p.endpoint, p.access, p.secret)
	if _, err := c.CreateBucket(t.Context(), &s3.CreateBucketInput{Bucket: aws.String(scaleBucket)}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err := forEach(scaleObjects, scaleClients, func(i int) error {
		if i > 0 && i%10_000 == 0 {
			t.Logf("%d objects PUT after %v", i, time.Since(start))
		}
		return putObject(t.Context(), c, scaleBucket, scaleObject(i))
	})
	if err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	t.Logf("PUT %d objects with %d clients in %v (%.0f PUT/s)", scaleObjects, scaleClients, took, scaleObjects/took.Seconds())

	if peak := idleMemory(t, p.cmd.Process.Pid, "after the PUTs"); peak > scaleMaxRSS {
		t.Errorf("idle RSS up to %.1f MiB with %d objects, want <= %d MiB", mib(peak), scaleObjects, scaleMaxRSS>>20)
	}

	stopped := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Wait(); err != nil {
		t.Errorf("d3sd after SIGTERM: %v", err)
	}
	t.Logf("d3sd exited %v after SIGTERM", time.Since(stopped))

	o := scaleObject(rand.IntN(scaleObjects))
	o.sum = sha256Hex(o.data())
	restart := time.Now()
	p2 := startProc(t, dir, addr)
	c2 := plainSDK(t, p2.endpoint, p2.access, p2.secret)
	if err := getUntil(t.Context(), c2, scaleBucket, o, time.Minute); err != nil {
		t.Fatal(err)
	}
	first := time.Since(restart)
	t.Logf("restart: GET %s (%d bytes) served %v after the process started", o.key, o.size, first)
	if first > scaleMaxFirst {
		t.Errorf("first request served %v after a restart, want <= %v", first, scaleMaxFirst)
	}
	if peak := idleMemory(t, p2.cmd.Process.Pid, "after the restart"); peak > scaleMaxRSS {
		t.Errorf("idle RSS after a restart up to %.1f MiB with %d objects, want <= %d MiB", mib(peak), scaleObjects, scaleMaxRSS>>20)
	}
}

// idleMemory waits until process pid is idle, then samples its memory
// every second for up to idleSettle, until VmRSS is within scaleMaxRSS:
// the Go runtime returns freed heap to the kernel gradually, and torrents
// loaded by the last PUTs are unloaded only after the node's SeedIdle (2
// minutes). Then it keeps sampling for idleHold, longer than two repair
// passes (every 30 s) and the database's page-out interval, so that the
// node's background work while idle counts too. It logs a sample every
// 30 s and returns the highest VmRSS seen during the hold.
func idleMemory(t *testing.T, pid int, when string) int64 {
	t.Helper()
	const idleSettle, idleHold = 3 * time.Minute, 75 * time.Second
	idle := waitIdle(t, pid, 2*time.Minute)
	start := time.Now()
	m := procMemory(t, pid)
	for i := 1; m["VmRSS"] > scaleMaxRSS && time.Since(start) < idleSettle; i++ {
		if i%30 == 0 {
			t.Logf("%s, idle %v: VmRSS %.1f MiB (RssAnon %.1f, RssFile %.1f)", when, (idle + time.Since(start)).Round(time.Second),
				mib(m["VmRSS"]), mib(m["RssAnon"]), mib(m["RssFile"]))
		}
		time.Sleep(time.Second)
		m = procMemory(t, pid)
	}
	t.Logf("%s, idle after %v and %v more: VmRSS %.1f MiB (RssAnon %.1f, RssFile %.1f), peak VmHWM %.1f MiB",
		when, idle.Round(time.Second), time.Since(start).Round(time.Second), mib(m["VmRSS"]), mib(m["RssAnon"]), mib(m["RssFile"]), mib(m["VmHWM"]))
	peak, at := m, time.Duration(0)
	for held := time.Now(); time.Since(held) < idleHold; {
		time.Sleep(time.Second)
		if m = procMemory(t, pid); m["VmRSS"] > peak["VmRSS"] {
			peak, at = m, time.Since(held)
		}
	}
	t.Logf("%s, held idle %v: highest VmRSS %.1f MiB (RssAnon %.1f, RssFile %.1f) %v in, last %.1f MiB",
		when, idleHold, mib(peak["VmRSS"]), mib(peak["RssAnon"]), mib(peak["RssFile"]), at.Round(time.Second), mib(m["VmRSS"]))
	return peak["VmRSS"]
}

// waitIdle waits until process pid used under 5% of a core over two
// seconds, or until within has passed, and returns how long it waited.
func waitIdle(t *testing.T, pid int, within time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	last := procCPUTicks(t, pid)
	for time.Since(start) < within {
		time.Sleep(2 * time.Second)
		now := procCPUTicks(t, pid)
		if now-last < 2*clockTicks/20 {
			return time.Since(start)
		}
		last = now
	}
	t.Logf("pid %d still busy after %v", pid, within)
	return time.Since(start)
}

// procCPUTicks is the user plus system CPU time of pid, in clock ticks.
func procCPUTicks(t *testing.T, pid int) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	// The command name (field 2) may hold spaces; fields count from ")".
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		t.Fatalf("parse /proc/%d/stat: %v %v", pid, err1, err2)
	}
	return utime + stime
}

// procMemory returns the memory figures of /proc/PID/status given in kB
// (VmRSS, VmHWM, RssAnon, RssFile, …), in bytes.
func procMemory(t *testing.T, pid int) map[string]int64 {
	t.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m := map[string]int64{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		v, kB := strings.CutSuffix(strings.TrimSpace(v), " kB")
		if !ok || !kB {
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			t.Fatalf("parse %s %q: %v", k, v, err)
		}
		m[k] = n << 10
	}
	if m["VmRSS"] == 0 {
		t.Fatalf("no VmRSS in /proc/%d/status", pid)
	}
	return m
}

// mib is b in MiB.
func mib(b int64) float64 { return float64(b) / (1 << 20) }
