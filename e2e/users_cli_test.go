package e2e

import (
	"bytes"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// startJoinProc runs the d3sd binary on dir with extra flags (--join for a
// first start) and waits until S3 answers on addr.
func startJoinProc(t *testing.T, dir, addr string, extra ...string) *procNode {
	t.Helper()
	args := append([]string{"--data", dir, "--s3", addr, "--p2p", "127.0.0.1:0", "--log-level", "warn"}, extra...)
	cmd := exec.Command(d3sdBinary(t), args...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &procNode{testNode: testNode{dir: dir, endpoint: "http://" + addr}, cmd: cmd}
	t.Cleanup(p.kill)
	// The S3 port accepts connections before the node has started (it is
	// bound first); an HTTP answer means Start is done, the join token
	// written and the admin socket served.
	deadline := time.Now().Add(60 * time.Second)
	client := &http.Client{Timeout: time.Second}
	for {
		if resp, err := client.Get(p.endpoint + "/"); err == nil {
			resp.Body.Close()
			return p
		}
		if time.Now().After(deadline) {
			t.Fatalf("d3sd did not answer on %s within 60 s", addr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// d3sdCLI runs a d3sd subcommand and returns its stdout, its stderr and
// its exit code.
func d3sdCLI(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	cmd := exec.Command(d3sdBinary(t), args...)
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	code := 0
	if ee, ok := errors.AsType[*exec.ExitError](err); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("d3sd %v: %v", args, err)
	}
	return out.String(), errOut.String(), code
}

var exportsRE = regexp.MustCompile(`^export AWS_ACCESS_KEY_ID=([A-Z2-7]{20})\nexport AWS_SECRET_ACCESS_KEY=([A-Za-z0-9+/]{40})\n$`)

// cliKeys runs "d3sd user add|rotate NAME" and parses the keys it prints.
func cliKeys(t *testing.T, dir, op, name string) (access, secret string) {
	t.Helper()
	out, errOut, code := d3sdCLI(t, "user", op, name, "--data", dir)
	m := exportsRE.FindStringSubmatch(out)
	if code != 0 || m == nil {
		t.Fatalf("d3sd user %s %s: exit %d, printed %q, stderr %q", op, name, code, out, errOut)
	}
	return m[1], m[2]
}

// TestUserCLIProcesses drives user add, rotate and remove through the d3sd
// binary on three d3sd processes, node 3 killed during the rotation and
// restarted after it; then every bad input gets one line and a non-zero
// exit.
func TestUserCLIProcesses(t *testing.T) {
	dirs := []string{t.TempDir(), t.TempDir(), t.TempDir()}
	addrs := []string{freeAddr(t), freeAddr(t), freeAddr(t)}
	p1 := startJoinProc(t, dirs[0], addrs[0])
	token := readToken(t, dirs[0])
	p2 := startJoinProc(t, dirs[1], addrs[1], "--join", token)
	p3 := startJoinProc(t, dirs[2], addrs[2], "--join", token)
	all := endpoints(&p1.testNode, &p2.testNode, &p3.testNode)

	access, secret := cliKeys(t, dirs[0], "add", "frank")
	expectKey(t, time.Now(), 10*time.Second, "frank works everywhere", all, access, secret, 200, "")
	p3.kill()

	start := time.Now()
	access2, secret2 := cliKeys(t, dirs[1], "rotate", "frank")
	if access2 != access || secret2 == secret {
		t.Fatalf("rotate printed %s %s, want the same access key and a new secret", access2, secret2)
	}
	took := expectKey(t, start, userChangeWithin, "old secret after CLI rotate", all[:2], access, secret, 403, "SignatureDoesNotMatch")
	t.Logf("old secret refused on both live processes %v after d3sd user rotate started", took)

	p3 = startJoinProc(t, dirs[2], addrs[2])
	expectFirst(t, "restarted process, old secret", p3.endpoint, access, secret, 403, "SignatureDoesNotMatch")
	expectFirst(t, "restarted process, new secret", p3.endpoint, access, secret2, 200, "")

	start = time.Now()
	out, errOut, code := d3sdCLI(t, "user", "remove", "frank", "--data", dirs[2])
	if code != 0 || !strings.Contains(out, "removed user frank") {
		t.Fatalf("d3sd user remove frank: exit %d, %q %q", code, out, errOut)
	}
	took = expectKey(t, start, userChangeWithin, "removed key", all, access, secret2, 403, "InvalidAccessKeyId")
	t.Logf("removed key refused on all 3 processes %v after d3sd user remove started", took)

	list, _, _ := d3sdCLI(t, "user", "list", "--data", dirs[0])
	if !regexp.MustCompile(`(?m)^frank +` + access + ` +\S+ +removed$`).MatchString(list) {
		t.Errorf("user list does not show frank removed:\n%s", list)
	}
	for _, tt := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"user", "remove", "frank"}, 1, "removed already"},
		{[]string{"user", "rotate", "frank"}, 1, "removed already"},
		{[]string{"user", "remove", "nobody"}, 1, "unknown user"},
		{[]string{"user", "rotate", "nobody"}, 1, "unknown user"},
		{[]string{"user", "remove"}, 2, "exactly one NAME"},
		{[]string{"user", "rotate", "bad name"}, 1, "invalid user name"},
		{[]string{"user", "add", "admin"}, 1, "already exists"},
	} {
		out, errOut, code := d3sdCLI(t, append(tt.args, "--data", filepath.Clean(dirs[1]))...)
		lines := strings.Split(strings.TrimSpace(errOut), "\n")
		if code != tt.code || out != "" || len(lines) != 1 || !strings.Contains(errOut, tt.msg) {
			t.Errorf("d3sd %v: exit %d, stdout %q, stderr %q; want exit %d and one line with %q", tt.args, code, out, errOut, tt.code, tt.msg)
		}
	}
}
