package e2e

import (
	"crypto/rand"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/d3s/d3s/dht"
	"github.com/d3s/d3s/node"
	"github.com/d3s/d3s/node/admin"
)

// cluster is n in-process nodes on loopback joined into one private
// network; nodes[0] founded it and its first user is everyone's user.
type cluster struct {
	nodes []*testNode
	token string
}

// startCluster starts a founder and n-1 nodes joining it by token.
func startCluster(t testing.TB, n int) *cluster {
	t.Helper()
	return startClusterWith(t, n, nil)
}

// startClusterWith is startCluster with edit (if not nil) applied to every
// node's configuration.
func startClusterWith(t testing.TB, n int, edit func(*node.Config)) *cluster {
	t.Helper()
	first := startNodeWith(t, t.TempDir(), edit)
	c := &cluster{nodes: []*testNode{first}, token: readToken(t, first.dir)}
	for range n - 1 {
		c.nodes = append(c.nodes, c.joinWith(t, t.TempDir(), edit))
	}
	return c
}

// join starts a node on dir that joins the cluster with its token and uses
// the founder's first user.
func (c *cluster) join(t testing.TB, dir string) *testNode {
	t.Helper()
	return c.joinWith(t, dir, nil)
}

func (c *cluster) joinWith(t testing.TB, dir string, edit func(*node.Config)) *testNode {
	t.Helper()
	tn := startNodeWith(t, dir, func(cfg *node.Config) {
		if edit != nil {
			edit(cfg)
		}
		cfg.JoinToken = c.token
	})
	tn.access, tn.secret = c.nodes[0].access, c.nodes[0].secret
	return tn
}

func readToken(t testing.TB, dir string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, node.JoinTokenFile))
	if err != nil {
		t.Fatalf("join token: %v", err)
	}
	return strings.TrimSpace(string(b))
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t testing.TB, within time.Duration, what string, cond func() error) time.Duration {
	t.Helper()
	start := time.Now()
	var err error
	for time.Since(start) < within {
		if err = cond(); err == nil {
			return time.Since(start)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s: not within %v: %v", what, within, err)
	return 0
}

// listKeys lists every key of bucket on n (ListObjectsV2, all pages).
func (n *testNode) listKeys(t testing.TB, bucket string) ([]string, error) {
	var keys []string
	token := ""
	for {
		path := "/" + bucket + "?list-type=2"
		if token != "" {
			path += "&continuation-token=" + url.QueryEscape(token)
		}
		r, err := n.send(t, "GET", path, nil)
		if err != nil {
			return nil, err
		}
		if r.status != 200 {
			return nil, fmt.Errorf("list: %d %s", r.status, r.body)
		}
		body := string(r.body)
		for _, part := range strings.Split(body, "<Key>")[1:] {
			keys = append(keys, part[:strings.Index(part, "</Key>")])
		}
		if !strings.Contains(body, "<IsTruncated>true</IsTruncated>") {
			return keys, nil
		}
		token = between(body, "<NextContinuationToken>", "</NextContinuationToken>")
	}
}

// TestUserNetworkWide adds a user through node 1's admin socket and waits
// until node 3 authenticates an S3 request signed with it.
func TestUserNetworkWide(t *testing.T) {
	c := startCluster(t, 3)
	u, err := admin.AddUser(t.Context(), c.nodes[0].dir, "bob")
	if err != nil {
		t.Fatal(err)
	}
	far := *c.nodes[2]
	far.access, far.secret = u.AccessKeyID, u.SecretAccessKey
	took := eventually(t, 5*time.Second, "user added on node 1 accepted by node 3", func() error {
		if r := far.do(t, "GET", "/", nil); r.status != 200 {
			return fmt.Errorf("%d %s", r.status, r.code())
		}
		return nil
	})
	t.Logf("user visible on node 3 after %v", took)
	eventually(t, 5*time.Second, "user list on node 3", func() error {
		users, err := admin.ListUsers(t.Context(), c.nodes[2].dir)
		if err != nil {
			return err
		}
		for _, x := range users {
			if x.AccessKeyID == u.AccessKeyID {
				return nil
			}
		}
		return fmt.Errorf("bob not among %d users", len(users))
	})
}

// TestConcurrentWritersConverge has two nodes PUT 500 keys each into one
// bucket at the same time; every node must then list exactly 1000. Then
// each deletes half of the other's keys; every node converges to 500.
func TestConcurrentWritersConverge(t *testing.T) {
	c := startCluster(t, 3)
	a, b := c.nodes[0], c.nodes[1]
	if r := a.do(t, "PUT", "/shared", nil); r.status != 200 {
		t.Fatalf("create bucket: %d %s", r.status, r.body)
	}
	eventually(t, 10*time.Second, "bucket visible on node 2", func() error {
		if r := b.do(t, "HEAD", "/shared", nil); r.status != 200 {
			return fmt.Errorf("HEAD %d", r.status)
		}
		return nil
	})
	writeMany := func(n *testNode, prefix string, errs chan<- error) {
		for i := range 500 {
			key := fmt.Sprintf("/shared/%s/%03d", prefix, i)
			// A 503 (Retry-After) is retried, as every S3 client does:
			// in strong mode two writers racing for one bucket's head can
			// take longer than the acknowledgement wait on a loaded
			// machine.
			r, err := n.send(t, "PUT", key, []byte(key))
			for try := 0; err == nil && r.status == 503 && try < 5; try++ {
				time.Sleep(time.Second)
				r, err = n.send(t, "PUT", key, []byte(key))
			}
			if err != nil || r.status != 200 {
				errs <- fmt.Errorf("PUT %s: %v %d", key, err, r.status)
				return
			}
		}
		errs <- nil
	}
	errs := make(chan error, 2)
	go writeMany(a, "a", errs)
	go writeMany(b, "b", errs)
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	c.waitAllList(t, "shared", 1000)
	var wg sync.WaitGroup
	for i, n := range []*testNode{a, b} {
		other := []string{"b", "a"}[i]
		wg.Go(func() {
			for j := range 250 {
				key := fmt.Sprintf("/shared/%s/%03d", other, j)
				r, err := n.send(t, "DELETE", key, nil)
				for try := 0; err == nil && r.status == 503 && try < 5; try++ {
					time.Sleep(time.Second) // retried, as clients do
					r, err = n.send(t, "DELETE", key, nil)
				}
				if err != nil || r.status != 204 {
					t.Errorf("DELETE %s: %v %d", key, err, r.status)
				}
			}
		})
	}
	wg.Wait()
	c.waitAllList(t, "shared", 500)
}

// waitAllList waits until every node lists exactly want keys in bucket.
func (c *cluster) waitAllList(t testing.TB, bucket string, want int) {
	t.Helper()
	for i, n := range c.nodes {
		took := eventually(t, 30*time.Second, fmt.Sprintf("node %d lists %d keys", i+1, want), func() error {
			keys, err := n.listKeys(t, bucket)
			if err != nil {
				return err
			}
			if len(keys) != want {
				return fmt.Errorf("%d keys", len(keys))
			}
			return nil
		})
		t.Logf("node %d listed %d keys after %v", i+1, want, took)
	}
}

// TestRestartServesCache stops the whole network, restarts one joined node
// alone from its data dir and checks it lists its catalogue at once: the
// offline-first promise of eventual mode (in strong mode a node without
// a majority answers 503; TestStrongRestartAloneRefuses).
func TestRestartServesCache(t *testing.T) {
	c := startClusterWith(t, 2, eventual)
	a, b := c.nodes[0], c.nodes[1]
	a.do(t, "PUT", "/cached", nil)
	for i := range 20 {
		a.do(t, "PUT", fmt.Sprintf("/cached/k%02d", i), []byte("v"))
	}
	c.waitAllList(t, "cached", 20)
	dir := b.dir
	b.Close()
	a.Close()
	start := time.Now()
	r := startNodeWith(t, dir, eventual)
	r.access, r.secret = a.access, a.secret
	keys, err := r.listKeys(t, "cached")
	if err != nil || len(keys) != 20 {
		t.Fatalf("restarted node alone: %d keys, %v", len(keys), err)
	}
	t.Logf("restarted node listed its cache %v after start", time.Since(start))
}

// eventual configures a node for eventual mode.
func eventual(cfg *node.Config) { cfg.Consistency = node.ConsistencyEventual }

// TestStrongRestartAloneRefuses: the same restart in strong mode (the
// default): the node knows another member it cannot reach, so it has no
// majority and answers 503 with Retry-After, never its cache.
func TestStrongRestartAloneRefuses(t *testing.T) {
	c := startCluster(t, 2)
	a, b := c.nodes[0], c.nodes[1]
	a.do(t, "PUT", "/cached", nil)
	a.do(t, "PUT", "/cached/k", []byte("v"))
	c.waitAllList(t, "cached", 1)
	dir := b.dir
	b.Close()
	a.Close()
	r := startNodeWith(t, dir, nil)
	r.access, r.secret = a.access, a.secret
	start := time.Now()
	keys, err := r.listKeys(t, "cached")
	if err == nil || !strings.Contains(err.Error(), "503") {
		t.Fatalf("restarted node alone in strong mode listed %d keys, err %v; want 503", len(keys), err)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("503 after %v, want within 10 s", took)
	}
}

// TestForeignNetworkRefused starts a node whose token carries node 1's
// addresses but another network key: the PSK handshake fails, so its first
// start ends with ErrNoMember and it never sees the network's records.
func TestForeignNetworkRefused(t *testing.T) {
	c := startCluster(t, 1)
	cfg := node.DefaultConfig()
	cfg.DataDir, cfg.S3Addr, cfg.JoinToken = t.TempDir(), "127.0.0.1:0", forgeToken(t, c.token)
	n, err := node.New(cfg)
	if err != nil {
		t.Fatalf("node.New: %v", err)
	}
	defer n.Close()
	if err := n.Start(t.Context()); !errors.Is(err, node.ErrNoMember) {
		t.Fatalf("Start with a foreign network key: %v, want ErrNoMember", err)
	}
}

// forgeToken returns token with the same member addresses but another
// network key.
func forgeToken(t *testing.T, token string) string {
	t.Helper()
	tok, err := dht.ParseToken(token)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rand.Read(tok.NetworkKey[:]); err != nil {
		t.Fatal(err)
	}
	return tok.Encode()
}
