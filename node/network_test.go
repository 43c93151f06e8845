package node

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/d3s/d3s/dht"
	"github.com/d3s/d3s/node/admin"
	"github.com/d3s/d3s/node/users"
	"github.com/d3s/d3s/s3"
)

// netConfig is a node config on loopback: S3 and libp2p on free ports.
func netConfig(dir, token string) Config {
	cfg := DefaultConfig()
	cfg.DataDir, cfg.S3Addr, cfg.P2PAddr, cfg.JoinToken = dir, "127.0.0.1:0", "127.0.0.1:0", token
	cfg.Staleness = 100 * time.Millisecond
	return cfg
}

// startNetNode starts a node in dir that joins with token ("" founds a
// network or rejoins the stored one); it is closed at cleanup.
func startNetNode(t *testing.T, dir, token string) *Node {
	t.Helper()
	n, err := New(netConfig(dir, token))
	if err != nil {
		t.Fatalf("new node: %v", err)
	}
	t.Cleanup(func() { n.Close() })
	if err := n.Start(t.Context()); err != nil {
		t.Fatalf("start node: %v", err)
	}
	return n
}

// token returns n's join token.
func token(t *testing.T, n *Node) string {
	t.Helper()
	tok, err := n.Token()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %v: %s", within, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// signedListBuckets sends a SigV4-signed ListBuckets to a node and
// returns the HTTP status.
func signedListBuckets(t *testing.T, n *Node, creds *users.Credentials) int {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, "http://"+n.S3Addr()+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	const emptySHA = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	req.Header.Set("X-Amz-Content-Sha256", emptySHA)
	c := aws.Credentials{AccessKeyID: creds.AccessKeyID, SecretAccessKey: creds.SecretAccessKey}
	if err := v4.NewSigner().SignHTTP(t.Context(), c, req, emptySHA, "s3", "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestJoinTokenFile(t *testing.T) {
	dir := t.TempDir()
	n := startNetNode(t, dir, "")
	if n.FirstUser() == nil || n.Joined() {
		t.Fatalf("founder: first user %+v, joined %v", n.FirstUser(), n.Joined())
	}
	fi, err := os.Stat(filepath.Join(dir, JoinTokenFile))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("join token file: %v, mode %v", err, fi.Mode())
	}
	fromFile, err := ReadJoinToken(dir)
	if err != nil || fromFile != token(t, n) {
		t.Fatalf("ReadJoinToken = %q, %v; want the node's token", fromFile, err)
	}
	fromAdmin, err := admin.Token(t.Context(), dir)
	if err != nil || fromAdmin != fromFile {
		t.Fatalf("admin.Token = %q, %v", fromAdmin, err)
	}
	tok, err := dht.ParseToken(fromFile)
	if err != nil {
		t.Fatal(err)
	}
	key, err := dht.ReadNetworkKey(filepath.Join(dir, networkKeyFile))
	if err != nil || tok.NetworkKey != key || len(tok.Addrs) == 0 {
		t.Fatalf("token key matches the data dir's: %v (%v), %d addrs", tok.NetworkKey == key, err, len(tok.Addrs))
	}
}

func TestUsersNetworkWide(t *testing.T) {
	dir1 := t.TempDir()
	n1 := startNetNode(t, dir1, "")
	tok := token(t, n1)
	n2 := startNetNode(t, t.TempDir(), tok)
	dir3 := t.TempDir()
	n3 := startNetNode(t, dir3, tok)
	for i, n := range []*Node{n2, n3} {
		if n.FirstUser() != nil || !n.Joined() {
			t.Errorf("joining node %d: first user %+v, joined %v; want none, true", i+2, n.FirstUser(), n.Joined())
		}
	}
	creds, err := admin.AddUser(t.Context(), dir1, "alice")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	eventually(t, 5*time.Second, "alice authenticates on node 3", func() bool {
		return signedListBuckets(t, n3, creds) == http.StatusOK
	})
	t.Logf("user added on node 1 accepted by node 3 after %v", time.Since(start))
	eventually(t, 5*time.Second, "node 3 lists alice and admin", func() bool {
		list, err := admin.ListUsers(t.Context(), dir3)
		names := make([]string, len(list))
		for i, u := range list {
			names[i] = u.Name
		}
		return err == nil && slices.Contains(names, "alice") && slices.Contains(names, "admin")
	})
	if code := signedListBuckets(t, n2, creds); code != http.StatusOK {
		t.Errorf("alice on node 2: HTTP %d", code)
	}
	bogus := &users.Credentials{AccessKeyID: strings.Repeat("A", 20), SecretAccessKey: creds.SecretAccessKey}
	if code := signedListBuckets(t, n3, bogus); code != http.StatusForbidden {
		t.Errorf("unknown access key on node 3: HTTP %d, want 403", code)
	}
}

func TestUserAddedAfterJoinReachesLateNode(t *testing.T) {
	dir1 := t.TempDir()
	n1 := startNetNode(t, dir1, "")
	creds, err := n1.users.Add(t.Context(), "early")
	if err != nil {
		t.Fatal(err)
	}
	// node 2 joins later: it pulls the records when it connects.
	dir2 := t.TempDir()
	startNetNode(t, dir2, token(t, n1))
	eventually(t, 5*time.Second, "the late node lists the early user", func() bool {
		list, err := admin.ListUsers(t.Context(), dir2)
		return err == nil && slices.ContainsFunc(list, func(u users.Info) bool { return u.AccessKeyID == creds.AccessKeyID })
	})
}

func TestForeignNetworkRefused(t *testing.T) {
	n1 := startNetNode(t, t.TempDir(), "")
	creds, err := n1.users.Add(t.Context(), "member")
	if err != nil {
		t.Fatal(err)
	}
	tok, err := dht.ParseToken(token(t, n1))
	if err != nil {
		t.Fatal(err)
	}
	peers, _ := tok.Peers()

	// A node of another network cannot connect, and sees none of its users.
	other := startNetNode(t, t.TempDir(), "")
	if err := other.dht.Bootstrap(t.Context(), peers); err == nil {
		t.Error("a node with another network key bootstrapped from a member")
	}
	if slices.Contains(other.Peers(), n1.mem.id) || slices.Contains(n1.Peers(), other.mem.id) {
		t.Error("nodes of different networks are connected")
	}
	if _, _, err := other.users.LookupUser(t.Context(), creds.AccessKeyID); !errors.Is(err, s3.ErrInvalidAccessKeyID) {
		t.Errorf("foreign node looks up a member's user: %v", err)
	}

	// A token with the member's addresses but a wrong key: joining fails.
	forged := tok
	forged.NetworkKey[0] ^= 1
	n, err := New(netConfig(t.TempDir(), forged.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	if err := n.Start(t.Context()); !errors.Is(err, ErrNoMember) {
		t.Errorf("join with a wrong network key: %v, want ErrNoMember", err)
	}

	// A data dir of another network refuses the token outright.
	otherDir := other.cfg.DataDir
	other.Close()
	if _, err := New(netConfig(otherDir, token(t, n1))); !errors.Is(err, ErrOtherNetwork) {
		t.Errorf("token of another network on an existing data dir: %v, want ErrOtherNetwork", err)
	}
}

func TestRestartRejoinsWithoutToken(t *testing.T) {
	n1 := startNetNode(t, t.TempDir(), "")
	dir2 := t.TempDir()
	n2 := startNetNode(t, dir2, token(t, n1))
	eventually(t, 5*time.Second, "node 2 connected", func() bool { return slices.Contains(n2.Peers(), n1.mem.id) })
	oldToken := token(t, n2)
	if err := n2.Close(); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "node 1 sees node 2 leave", func() bool { return !slices.Contains(n1.Peers(), n2.mem.id) })

	n2 = startNetNode(t, dir2, "")
	if n2.FirstUser() != nil {
		t.Error("a restarted member created a first user")
	}
	eventually(t, 10*time.Second, "restarted node 2 reconnects", func() bool { return slices.Contains(n2.Peers(), n1.mem.id) })
	creds, err := n1.users.Add(t.Context(), "after-restart")
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "restarted node 2 authenticates a new user", func() bool {
		return signedListBuckets(t, n2, creds) == http.StatusOK
	})
	if now, err := ReadJoinToken(dir2); err != nil || now == oldToken {
		t.Errorf("join token file after restart on a new port: changed %v, %v", now != oldToken, err)
	}
}

func TestCatalogAcrossNodes(t *testing.T) {
	n1 := startNetNode(t, t.TempDir(), "")
	n2 := startNetNode(t, t.TempDir(), token(t, n1))
	u := s3.User{AccessKeyID: n1.FirstUser().AccessKeyID, Name: "admin"}
	ctx := t.Context()
	if err := n1.CreateBucket(ctx, u, "shared"); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "node 2 lists the bucket created on node 1", func() bool {
		list, err := n2.ListBuckets(ctx, u)
		return err == nil && len(list) == 1 && list[0].Name == "shared"
	})
	data := []byte("written on node 1")
	if _, err := n1.PutObject(ctx, u, "shared", "k", strings.NewReader(string(data)), s3.PutOptions{Size: int64(len(data))}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	eventually(t, 5*time.Second, "node 2 lists the object put on node 1", func() bool {
		res, err := n2.ListObjects(ctx, u, "shared", s3.ListOptions{MaxKeys: 10})
		return err == nil && len(res.Objects) == 1 && res.Objects[0].Key == "k"
	})
	t.Logf("PUT on node 1 listed on node 2 after %v", time.Since(start))
	info, err := n2.HeadObject(ctx, u, "shared", "k")
	if err != nil || info.Size != int64(len(data)) {
		t.Errorf("HEAD on node 2 = %+v, %v", info, err)
	}
	_, r, err := n2.GetObject(ctx, u, "shared", "k")
	if err != nil {
		t.Fatalf("GET on node 2 of data written on node 1: %v", err)
	}
	got, err := io.ReadAll(r)
	r.Close()
	if err != nil || string(got) != string(data) {
		t.Errorf("GET on node 2 = %q, %v; want %q", got, err, data)
	}
	if held, err := n2.Holds(ctx, u.AccessKeyID, "shared", "k"); !held || err != nil {
		t.Errorf("node 2 holds node 1's object: %t, %v; want a replica (sync replicas 2)", held, err)
	}
	if _, err = n2.CopyObject(ctx, u, "shared", "k", "shared", "k2", s3.CopyOptions{}); err != nil {
		t.Errorf("COPY on node 2 of data written on node 1: %v", err)
	}
	// Node 2 writes into the bucket node 1 created; node 1 lists it.
	if _, err := n2.PutObject(ctx, u, "shared", "from2", strings.NewReader("x"), s3.PutOptions{Size: 1}); err != nil {
		t.Fatalf("PUT on node 2 into node 1's bucket: %v", err)
	}
	eventually(t, 5*time.Second, "node 1 lists the object put on node 2", func() bool {
		res, err := n1.ListObjects(ctx, u, "shared", s3.ListOptions{MaxKeys: 10})
		return err == nil && len(res.Objects) == 3
	})
	ctx2, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := n1.cat.Flush(ctx2); err != nil {
		t.Errorf("flush node 1: %v", err)
	}
}

// TestMembershipKeyFiles: a founding data dir's keys are created with
// mode 0600.
func TestMembershipKeyFiles(t *testing.T) {
	dir := t.TempDir()
	if _, err := loadMembership(dir, ""); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"network.key", "node.key"} {
		if fi, err := os.Stat(filepath.Join(dir, f)); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v, mode %v", f, err, fi.Mode())
		}
	}
}
