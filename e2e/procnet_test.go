package e2e

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/d3s/d3s/node/admin"
)

// startProcNetwork starts n d3sd processes: a founder, then n-1 joining
// with its token file, all using the founder's credentials; it waits
// until every node is connected to all the others.
func startProcNetwork(t *testing.T, n int, extra ...string) []*procNode {
	t.Helper()
	founder := launchProc(t, t.TempDir(), freeAddr(t), extra...)
	founder.access, founder.secret = readCredentials(t, filepath.Join(founder.dir, "credentials"))
	nodes := []*procNode{founder}
	token := filepath.Join(founder.dir, "join-token")
	for range n - 1 {
		p := launchProc(t, t.TempDir(), freeAddr(t), append([]string{"--join-file", token}, extra...)...)
		p.access, p.secret = founder.access, founder.secret
		nodes = append(nodes, p)
	}
	for i, p := range nodes {
		eventually(t, 60*time.Second, fmt.Sprintf("node %d connected to %d peers", i+1, n-1), func() error {
			got, err := connectedPeers(p)
			if err == nil && got < n-1 {
				err = fmt.Errorf("%d connected", got)
			}
			return err
		})
	}
	return nodes
}

// procStatus runs "d3sd status --json" on p's data dir.
func procStatus(p *procNode) (admin.Status, error) {
	var st admin.Status
	out, err := exec.Command(binPath, "status", "--json", "--data", p.dir).Output()
	if err != nil {
		return st, fmt.Errorf("d3sd status: %w", err)
	}
	return st, json.Unmarshal(out, &st)
}

// connectedPeers counts p's connected peers.
func connectedPeers(p *procNode) (int, error) {
	st, err := procStatus(p)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, q := range st.Peers {
		if q.Connected {
			n++
		}
	}
	return n, nil
}
