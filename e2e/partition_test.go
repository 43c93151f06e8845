//go:build fault

package e2e

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Ports and bounds of TestPartitionHeal.
const (
	labNodes      = 5
	labS3Port     = 9000
	labP2PPort    = 4001
	labStartWait  = 30 * time.Second
	partitionHold = 90 * time.Second // the least time the two sides stay apart
	convergeWait  = 3 * time.Minute  // how long a heal is waited for and measured
	// The promises of issue 10: after a heal every node shows every live
	// member connected within memberWait and lists the same keys within
	// keysWait; a write that cannot reach enough members answers within
	// writeAnswer.
	memberWait  = 10 * time.Second
	keysWait    = 15 * time.Second
	writeAnswer = 10 * time.Second
	opTimeout   = 30 * time.Second
	partBucket  = "part"
)

// netLab is five network namespaces, one per node, whose "eth0" ends of
// veth pairs meet on bridge br0 in a sixth namespace; a second bridge, br1,
// is where the minority's ports go during a partition, so that the two
// minority nodes still see each other. Each node namespace also has a
// point-to-point veth ("mgmt") to the test's own namespace, carrying only
// S3, so that the test reaches both sides of a partition.
type netLab struct {
	t      *testing.T
	sfx    string
	bridge string   // the bridge namespace
	ns     []string // node namespaces
	p2p    []string // node i's address on the bridge
	s3     []string // node i's S3 address, on its mgmt link
	dirs   []string // node i's data dir
	logs   []string // node i's log file
	procs  []*exec.Cmd
}

// newNetLab builds the namespaces and links, or skips the test when this
// process cannot (not root, no iproute2, no netns support).
func newNetLab(t *testing.T) *netLab {
	if os.Geteuid() != 0 {
		t.Skip("needs root and ip netns: run as root (see e2e/doc.go)")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("needs root and ip netns: iproute2's ip is not on PATH")
	}
	l := &netLab{t: t, sfx: fmt.Sprintf("%04x", rand.IntN(1<<16))}
	l.bridge = "d3s-" + l.sfx + "-br"
	if out, err := exec.Command("ip", "netns", "add", l.bridge).CombinedOutput(); err != nil {
		t.Skipf("needs root and ip netns: ip netns add: %v: %s", err, out)
	}
	// Created before destroy is registered, so removed after it ran: the
	// nodes write to them until they are killed, and failures show logs.
	for i := range labNodes {
		l.dirs = append(l.dirs, t.TempDir())
		l.logs = append(l.logs, filepath.Join(t.TempDir(), fmt.Sprintf("d3sd-%d.log", i+1)))
	}
	t.Cleanup(l.destroy)
	a, b := l.freeSubnet()
	l.run("ip", "-n", l.bridge, "link", "set", "lo", "up")
	for _, br := range []string{"br0", "br1"} {
		l.run("ip", "-n", l.bridge, "link", "add", br, "type", "bridge")
		l.run("ip", "-n", l.bridge, "link", "set", br, "up")
	}
	for i := range labNodes {
		ns := fmt.Sprintf("d3s-%s-%d", l.sfx, i+1)
		l.ns = append(l.ns, ns)
		l.p2p = append(l.p2p, fmt.Sprintf("10.%d.%d.%d", a, b, i+1))
		l.s3 = append(l.s3, fmt.Sprintf("10.%d.%d.%d", a, b+1, 4*i+2))
		l.run("ip", "netns", "add", ns)
		l.run("ip", "-n", ns, "link", "set", "lo", "up")
		port := fmt.Sprintf("p%d", i+1)
		l.run("ip", "-n", l.bridge, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", ns)
		l.run("ip", "-n", l.bridge, "link", "set", port, "master", "br0", "up")
		l.run("ip", "-n", ns, "addr", "add", l.p2p[i]+"/24", "dev", "eth0")
		l.run("ip", "-n", ns, "link", "set", "eth0", "up")
		host := l.mgmtLink(i)
		l.run("ip", "link", "add", host, "type", "veth", "peer", "name", "mgmt", "netns", ns)
		l.run("ip", "addr", "add", fmt.Sprintf("10.%d.%d.%d/30", a, b+1, 4*i+1), "dev", host)
		l.run("ip", "link", "set", host, "up")
		l.run("ip", "-n", ns, "addr", "add", l.s3[i]+"/30", "dev", "mgmt")
		l.run("ip", "-n", ns, "link", "set", "mgmt", "up")
	}
	return l
}

// mgmtLink is the test namespace's end of node i's S3 link.
func (l *netLab) mgmtLink(i int) string { return fmt.Sprintf("d3m%s%d", l.sfx, i+1) }

// freeSubnet picks 10.a.b.0/24 (bridge) and 10.a.b+1.0/24 (S3 links) that
// no route of this machine uses.
func (l *netLab) freeSubnet() (a, b int) {
	out, err := exec.Command("ip", "-4", "route", "show", "table", "all").CombinedOutput()
	if err != nil {
		l.t.Fatalf("ip route: %v: %s", err, out)
	}
	for range 100 {
		a, b = 100+rand.IntN(150), 2*rand.IntN(127)
		if !bytes.Contains(out, fmt.Appendf(nil, "10.%d.%d.", a, b)) && !bytes.Contains(out, fmt.Appendf(nil, "10.%d.%d.", a, b+1)) {
			return a, b
		}
	}
	l.t.Fatal("no free 10.x.y.0/23 for the test network")
	return 0, 0
}

// run runs an ip command and fails the test if it fails.
func (l *netLab) run(args ...string) {
	l.t.Helper()
	if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
		l.t.Fatalf("%s: %v: %s", strings.Join(args, " "), err, out)
	}
}

// destroy kills the nodes, then deletes every namespace and link the lab
// made, whatever state the test left them in.
func (l *netLab) destroy() {
	for _, p := range l.procs {
		if p.ProcessState == nil {
			p.Process.Kill()
			p.Wait()
		}
	}
	if l.t.Failed() {
		for i, f := range l.logs {
			if b, err := os.ReadFile(f); err == nil {
				l.t.Logf("node %d log (last 8 KiB):\n%s", i+1, b[max(0, len(b)-8192):])
			}
		}
	}
	for i, ns := range l.ns {
		exec.Command("ip", "netns", "del", ns).Run()
		exec.Command("ip", "link", "del", l.mgmtLink(i)).Run()
	}
	exec.Command("ip", "netns", "del", l.bridge).Run()
}

// start runs node i's d3sd in its namespace, joining through the token
// file of node 1 unless it is node 1, and waits until its S3 port answers.
func (l *netLab) start(i int, extra ...string) {
	t := l.t
	level := "warn"
	if os.Getenv("D3S_TEST_LOG") != "" {
		level = "info"
	}
	args := []string{"netns", "exec", l.ns[i], d3sdBinary(t), "--data", l.dirs[i],
		"--s3", net.JoinHostPort(l.s3[i], fmt.Sprint(labS3Port)),
		"--p2p", net.JoinHostPort(l.p2p[i], fmt.Sprint(labP2PPort)), "--log-level", level}
	if i > 0 {
		token := filepath.Join(l.dirs[0], "join-token")
		eventually(t, labStartWait, "node 1's join token", func() error {
			_, err := os.Stat(token)
			return err
		})
		args = append(args, "--join-file", token)
	}
	out, err := os.Create(l.logs[i])
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	cmd := exec.Command("ip", append(args, extra...)...)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start node %d: %v", i+1, err)
	}
	l.procs = append(l.procs, cmd)
	addr := net.JoinHostPort(l.s3[i], fmt.Sprint(labS3Port))
	eventually(t, labStartWait, fmt.Sprintf("node %d listening on %s", i+1, addr), func() error {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			return err
		}
		return c.Close()
	})
}

// setSide moves the bridge ports of nodes (0-based) onto bridge br.
func (l *netLab) setSide(br string, nodes ...int) {
	for _, i := range nodes {
		l.run("ip", "-n", l.bridge, "link", "set", fmt.Sprintf("p%d", i+1), "master", br)
	}
}

// TestPartitionHeal runs five d3sd processes in network namespaces, cuts
// nodes 4 and 5 off from nodes 1–3 for partitionHold, writes new keys and
// deletes older ones on both sides, heals the network, and checks what a
// user would: every node's status shows every other node connected within
// memberWait, every node lists exactly the keys the acknowledged
// operations leave within keysWait (nothing acknowledged lost, nothing
// deleted back) and serves each with the right SHA-256. A PUT through the
// minority (node 5, --sync-replicas 3) right after the cut must answer
// within writeAnswer: 503 with Retry-After, or 200 if its node already
// saw the cut (the copies then required are capped at the live holders:
// 2), an acknowledged write like the others.
func TestPartitionHeal(t *testing.T) {
	begin := time.Now()
	l := newNetLab(t)
	// Default --sync-replicas (2): a PUT needs a second copy. Node 5
	// wants 3, which its side of the cut (2 nodes) cannot give while
	// holders across the cut still count as live: the PUT at the cut
	// goes through it.
	// Eventual mode: both sides keep writing and merge at the heal
	// (strong mode's minority refuses; TestPartitionStrong checks it).
	for i := range labNodes - 1 {
		l.start(i, "--consistency", "eventual")
	}
	l.start(labNodes-1, "--sync-replicas", "3", "--consistency", "eventual")
	access, secret := readCredentials(t, filepath.Join(l.dirs[0], "credentials"))
	clients := make([]*s3.Client, labNodes)
	for i := range clients {
		clients[i] = plainSDK(t, "http://"+net.JoinHostPort(l.s3[i], fmt.Sprint(labS3Port)), access, secret)
	}
	t.Logf("namespaces and 5 nodes up in %v", time.Since(begin))
	h := &partitionHistory{all: map[string]testObject{}, must: map[string]bool{}, maybe: map[string]bool{}}
	h.setup(t, clients)
	if _, err := l.waitMembers(t.Context(), time.Now(), labStartWait); err != nil {
		t.Fatal(err)
	}

	cut := time.Now()
	l.setSide("br1", 3, 4)
	h.putAtCut(t, clients[4])
	var wg sync.WaitGroup
	wg.Go(func() { h.writeSide(t, clients, []int{0, 1, 2}, "a", 0) })
	wg.Go(func() { h.writeSide(t, clients, []int{3, 4}, "b", 3) })
	wg.Wait()
	if d := partitionHold - time.Since(cut); d > 0 {
		time.Sleep(d) // the partition itself is what this waits out
	}
	// Neither side may have seen the other's writes, or there was no cut.
	for _, side := range []struct {
		node    int
		foreign string
	}{{0, "b/"}, {3, "a/"}} {
		if keys := mustList(t, clients[side.node], side.foreign); len(keys) > 0 {
			t.Fatalf("node %d lists %v of the other side during the partition", side.node+1, keys)
		}
	}
	l.setSide("br0", 3, 4)
	healed := time.Now()
	t.Logf("partitioned for %v: %s", healed.Sub(cut), h.summary())

	var members, keys time.Duration
	var membersErr error
	wg.Go(func() { members, membersErr = l.waitMembers(t.Context(), healed, convergeWait) })
	keys = h.converge(t, clients, healed)
	wg.Wait()
	if membersErr != nil {
		t.Fatal(membersErr)
	}
	t.Logf("heal: full member view on every node after %v, same keys on every node after %v", members, keys)
	if members > memberWait {
		t.Errorf("full member view %v after the heal, want within %v", members, memberWait)
	}
	if keys > keysWait {
		t.Errorf("keys converged %v after the heal, want within %v", keys, keysWait)
	}
	start := time.Now()
	for i, c := range clients {
		for key, listed := range h.must {
			if !listed {
				continue
			}
			if err := getUntil(t.Context(), c, partBucket, h.all[key], convergeWait); err != nil {
				t.Fatalf("node %d: %v", i+1, err)
			}
		}
	}
	t.Logf("every acknowledged object read from every node in %v; whole test %v", time.Since(start), time.Since(begin))
}

// partitionHistory records what TestPartitionHeal's clients were told: keys
// whose last operation was acknowledged must (or must not) be listed; keys
// with an unacknowledged operation may be either.
type partitionHistory struct {
	mu    sync.Mutex
	all   map[string]testObject
	must  map[string]bool // key must be listed (true) or must not (false)
	maybe map[string]bool // key may be listed or not
	puts  [2]int          // acknowledged, failed
	dels  [2]int
}

// converge waits until every node lists what the history says, logs
// when each did, and returns when the last did, counted from healed; a
// node that does not within convergeWait fails the test with what it
// lacks or has too much.
func (h *partitionHistory) converge(t *testing.T, clients []*s3.Client, healed time.Time) time.Duration {
	done := make([]bool, len(clients))
	errs := make([]error, len(clients))
	var last time.Duration
	for time.Since(healed) < convergeWait && slices.Contains(done, false) {
		for i, c := range clients {
			if done[i] {
				continue
			}
			if errs[i] = h.check(t.Context(), c); errs[i] == nil {
				done[i], last = true, time.Since(healed)
				t.Logf("node %d converged %v after the heal", i+1, last)
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	failed := false
	for i, err := range errs {
		if err != nil {
			failed = true
			t.Errorf("node %d not converged %v after the heal: %v", i+1, convergeWait, err)
		}
	}
	if failed {
		t.FailNow()
	}
	return last
}

// setup creates the bucket, waits until every node knows it, PUTs 20
// objects across the nodes and waits until every node lists them.
func (h *partitionHistory) setup(t *testing.T, clients []*s3.Client) {
	if _, err := clients[0].CreateBucket(t.Context(), &s3.CreateBucketInput{Bucket: aws.String(partBucket)}); err != nil {
		t.Fatal(err)
	}
	for i, c := range clients {
		eventually(t, labStartWait, fmt.Sprintf("bucket on node %d", i+1), func() error {
			_, err := c.HeadBucket(t.Context(), &s3.HeadBucketInput{Bucket: aws.String(partBucket)})
			return err
		})
	}
	for i, o := range renamed(mixedObjects(20, 2<<20, 10), "pre") {
		if err := putObject(t.Context(), clients[i%len(clients)], partBucket, o); err != nil {
			t.Fatal(err)
		}
		h.all[o.key], h.must[o.key] = o, true
	}
	for i, c := range clients {
		eventually(t, labStartWait, fmt.Sprintf("node %d lists the first objects", i+1), func() error {
			return h.check(t.Context(), c)
		})
	}
}

// writeSide PUTs ten new objects (prefix p) through the nodes of one side,
// and deletes three of the first objects, starting at the first-th.
func (h *partitionHistory) writeSide(t *testing.T, clients []*s3.Client, side []int, p string, first int) {
	for i, o := range renamed(mixedObjects(10, 2<<20, uint64(20+first)), p) {
		ctx, cancel := context.WithTimeout(t.Context(), opTimeout)
		err := putObject(ctx, clients[side[i%len(side)]], partBucket, o)
		cancel()
		h.record(o, err == nil, true)
		if err != nil {
			t.Logf("side %s: %v (unacknowledged)", p, err)
		}
	}
	for j := first; j < first+3; j++ {
		key := fmt.Sprintf("pre/%02d", j)
		ctx, cancel := context.WithTimeout(t.Context(), opTimeout)
		_, err := clients[side[j%len(side)]].DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(partBucket), Key: aws.String(key)})
		cancel()
		h.record(testObject{key: key}, err == nil, false)
		if err != nil {
			t.Logf("side %s: DELETE %s: %v (unacknowledged)", p, key, err)
		}
	}
}

// record notes one PUT (put) or DELETE of o and whether it was
// acknowledged.
func (h *partitionHistory) record(o testObject, acked, put bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	count := &h.dels
	if put {
		count = &h.puts
		h.all[o.key] = o
	}
	if !acked {
		count[1]++
		h.maybe[o.key] = true
		delete(h.must, o.key)
		return
	}
	count[0]++
	h.must[o.key] = put
	delete(h.maybe, o.key)
}

// summary counts the operations done during the partition.
func (h *partitionHistory) summary() string {
	return fmt.Sprintf("%d PUTs acknowledged, %d failed; %d DELETEs acknowledged, %d failed", h.puts[0], h.puts[1], h.dels[0], h.dels[1])
}

// mustList lists the keys under prefix in the test's bucket through c.
func mustList(t *testing.T, c *s3.Client, prefix string) []string {
	keys, err := listAll(t.Context(), c, prefix)
	if err != nil {
		t.Fatalf("list %s: %v", prefix, err)
	}
	return keys
}

// listAll lists the keys under prefix in the test's bucket through c.
func listAll(ctx context.Context, c *s3.Client, prefix string) ([]string, error) {
	return listPrefix(ctx, c, partBucket, prefix)
}

// check lists the bucket through c and compares the keys with the
// history.
func (h *partitionHistory) check(ctx context.Context, c *s3.Client) error {
	keys, err := listAll(ctx, c, "")
	if err != nil {
		return err
	}
	listed := map[string]bool{}
	for _, k := range keys {
		listed[k] = true
	}
	var missing, extra []string
	for key, want := range h.must {
		if want && !listed[key] {
			missing = append(missing, key)
		}
	}
	for key := range listed {
		if !h.must[key] && !h.maybe[key] {
			extra = append(extra, key)
		}
	}
	if len(missing)+len(extra) > 0 {
		slices.Sort(missing)
		slices.Sort(extra)
		return fmt.Errorf("missing %v, unexpected %v", missing, extra)
	}
	return nil
}

// renamed gives objs the keys p/00, p/01, ….
func renamed(objs []testObject, p string) []testObject {
	for i := range objs {
		objs[i].key = fmt.Sprintf("%s/%02d", p, i)
	}
	return objs
}
