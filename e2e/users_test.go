package e2e

import (
	"encoding/xml"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/d3s/d3s/node"
	"github.com/d3s/d3s/node/admin"
	"github.com/d3s/d3s/node/users"
)

// userChangeWithin is the promise under test: a removed user's keys and a
// rotated user's old secret are refused on every live node within 2 s.
const userChangeWithin = 2 * time.Second

// keyAnswer is what a node answers a ListBuckets signed with one key.
type keyAnswer struct {
	status        int
	code, message string
}

func (a keyAnswer) String() string { return fmt.Sprintf("%d %s %q", a.status, a.code, a.message) }

// askWith sends ListBuckets to endpoint signed with access and secret.
func askWith(t testing.TB, endpoint, access, secret string) (keyAnswer, error) {
	n := &testNode{endpoint: endpoint, access: access, secret: secret}
	r, err := n.send(t, "GET", "/", nil)
	if err != nil {
		return keyAnswer{}, err
	}
	var e s3Error
	xml.Unmarshal(r.body, &e)
	return keyAnswer{status: r.status, code: e.Code, message: e.Message}, nil
}

// expectKey waits until every endpoint answers the key with status and
// code (code "" for a 200), within the deadline measured from since, and
// returns the longest time it took.
func expectKey(t *testing.T, since time.Time, within time.Duration, what string, endpoints []string, access, secret string, status int, code string) time.Duration {
	t.Helper()
	var longest time.Duration
	for _, ep := range endpoints {
		var last keyAnswer
		for {
			a, err := askWith(t, ep, access, secret)
			if err == nil && a.status == status && a.code == code {
				break
			}
			last = a
			if time.Since(since) > within {
				t.Fatalf("%s: node %s answers %v (err %v), want %d %s within %v", what, ep, last, err, status, code, within)
			}
			time.Sleep(10 * time.Millisecond)
		}
		if d := time.Since(since); d > longest {
			longest = d
		}
	}
	return longest
}

// expectFirst checks the first answer of endpoint to the key, without
// retrying: a node that rejoined must not serve a stale key even once.
func expectFirst(t *testing.T, what, endpoint, access, secret string, status int, code string) keyAnswer {
	t.Helper()
	start := time.Now()
	a, err := askWith(t, endpoint, access, secret)
	if err != nil || a.status != status || a.code != code {
		t.Fatalf("%s: first answer %v (err %v), want %d %s", what, a, err, status, code)
	}
	t.Logf("%s: %d %s in %v", what, a.status, a.code, time.Since(start))
	return a
}

func endpoints(nodes ...*testNode) []string {
	var out []string
	for _, n := range nodes {
		out = append(out, n.endpoint)
	}
	return out
}

// TestUserRemoveRotateAcrossNodes rotates one user and removes another on
// a 3-node network while node 3 is stopped: nodes 1 and 2 refuse the old
// keys within 2 s, the restarted node 3 refuses them on its first
// request, and the rotated secret works everywhere.
func TestUserRemoveRotateAcrossNodes(t *testing.T) {
	c := startCluster(t, 3)
	n1, n2, n3 := c.nodes[0], c.nodes[1], c.nodes[2]
	all := endpoints(n1, n2, n3)
	carol, err := admin.AddUser(t.Context(), n1.dir, "carol")
	if err != nil {
		t.Fatal(err)
	}
	dave, err := admin.AddUser(t.Context(), n2.dir, "dave")
	if err != nil {
		t.Fatal(err)
	}
	// Every node serves (and caches) both users before node 3 goes away.
	for _, u := range []*users.Credentials{carol, dave} {
		expectKey(t, time.Now(), 10*time.Second, u.Name+" works everywhere", all, u.AccessKeyID, u.SecretAccessKey, 200, "")
	}
	n3.Close()

	start := time.Now()
	rotated, err := admin.RotateUser(t.Context(), n1.dir, "carol")
	if err != nil {
		t.Fatal(err)
	}
	if rotated.AccessKeyID != carol.AccessKeyID || rotated.SecretAccessKey == carol.SecretAccessKey {
		t.Fatalf("rotate gave %+v", rotated)
	}
	took := expectKey(t, start, userChangeWithin, "carol's old secret after rotate", endpoints(n1, n2),
		carol.AccessKeyID, carol.SecretAccessKey, 403, "SignatureDoesNotMatch")
	t.Logf("old secret refused on both live nodes %v after rotate began", took)
	expectKey(t, start, userChangeWithin, "carol's new secret", endpoints(n1, n2), carol.AccessKeyID, rotated.SecretAccessKey, 200, "")

	start = time.Now()
	if _, err := admin.RemoveUser(t.Context(), n2.dir, "dave"); err != nil {
		t.Fatal(err)
	}
	took = expectKey(t, start, userChangeWithin, "dave after remove", endpoints(n1, n2),
		dave.AccessKeyID, dave.SecretAccessKey, 403, "InvalidAccessKeyId")
	t.Logf("removed key refused on both live nodes %v after remove began", took)

	// Node 3 restarts on its data dir, where carol's old record and
	// dave's live one are stored and were served before.
	back := startNodeIn(t, n3.dir)
	a := expectFirst(t, "restarted node, dave's removed key", back.endpoint, dave.AccessKeyID, dave.SecretAccessKey, 403, "InvalidAccessKeyId")
	if !strings.Contains(a.message, "removed") {
		t.Errorf("removed key's message %q does not say the user was removed", a.message)
	}
	expectFirst(t, "restarted node, carol's old secret", back.endpoint, carol.AccessKeyID, carol.SecretAccessKey, 403, "SignatureDoesNotMatch")
	expectFirst(t, "restarted node, carol's new secret", back.endpoint, carol.AccessKeyID, rotated.SecretAccessKey, 200, "")
}

// TestUserNameConflict adds one name on two nodes of one network while
// they cannot reach each other, then lets them meet: exactly one user
// keeps the name on both, the other's key is refused with a message that
// says why, user list shows it, and the name cannot be added a third time.
func TestUserNameConflict(t *testing.T) {
	// Fixed p2p ports, so that each finds the other where it last was.
	dir1, dir2, p2p1, p2p2 := t.TempDir(), t.TempDir(), freeAddr(t), freeAddr(t)
	at := func(addr, token string) func(*node.Config) {
		return func(cfg *node.Config) { cfg.P2PAddr, cfg.JoinToken = addr, token }
	}
	founder := startNodeWith(t, dir1, at(p2p1, ""))
	startNodeWith(t, dir2, at(p2p2, readToken(t, dir1))).Close()
	founder.Close()

	alone1 := startNodeWith(t, dir1, at(p2p1, "")) // node 2 is down: node 1 is alone
	first, err := admin.AddUser(t.Context(), dir1, "erin")
	if err != nil {
		t.Fatal(err)
	}
	alone1.Close()
	alone2 := startNodeWith(t, dir2, at(p2p2, "")) // and now node 2 is alone
	second, err := admin.AddUser(t.Context(), dir2, "erin")
	if err != nil {
		t.Fatalf("adding erin on a node that cannot see the other: %v", err)
	}
	n1 := startNodeWith(t, dir1, at(p2p1, "")) // they meet
	nodes := endpoints(n1, alone2)
	expectKey(t, time.Now(), 10*time.Second, "the loser's key", nodes, second.AccessKeyID, second.SecretAccessKey, 403, "InvalidAccessKeyId")
	expectKey(t, time.Now(), 10*time.Second, "the winner's key", nodes, first.AccessKeyID, first.SecretAccessKey, 200, "")
	a, _ := askWith(t, alone2.endpoint, second.AccessKeyID, second.SecretAccessKey)
	if !strings.Contains(a.message, "kept the name") || !strings.Contains(a.message, first.AccessKeyID) {
		t.Errorf("the loser's error %q does not explain the conflict", a.message)
	}
	for _, dir := range []string{dir1, dir2} {
		list, err := admin.ListUsers(t.Context(), dir)
		if err != nil {
			t.Fatal(err)
		}
		status := map[string]string{}
		for _, u := range list {
			status[u.AccessKeyID] = u.Status
		}
		if status[first.AccessKeyID] != users.StatusActive || status[second.AccessKeyID] != users.StatusConflict {
			t.Errorf("user list on %s: winner %q, loser %q", dir, status[first.AccessKeyID], status[second.AccessKeyID])
		}
		if _, err := admin.AddUser(t.Context(), dir, "erin"); err == nil || !strings.Contains(err.Error(), "already exists") {
			t.Errorf("a third erin on %s: %v, want already exists", dir, err)
		}
	}
}
