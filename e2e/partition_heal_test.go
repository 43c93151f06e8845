//go:build fault

package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os/exec"
	"slices"
	"testing"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// labStatus is what waitMembers reads of `d3sd status --json`.
type labStatus struct {
	PeerID string `json:"peer_id"`
	Peers  []struct {
		ID        string `json:"id"`
		Connected bool   `json:"connected"`
	} `json:"peers"`
}

// status runs `d3sd status --json` for node i, as an operator would.
func (l *netLab) status(ctx context.Context, i int) (labStatus, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, d3sdBinary(l.t), "status", "--json", "--data", l.dirs[i]).Output()
	if err != nil {
		return labStatus{}, fmt.Errorf("d3sd status (node %d): %w", i+1, err)
	}
	var st labStatus
	if err := json.Unmarshal(out, &st); err != nil {
		return labStatus{}, fmt.Errorf("d3sd status (node %d): %w", i+1, err)
	}
	return st, nil
}

// waitMembers waits until every node's status shows every other node
// connected, and returns how long after since the last one did, or an
// error naming what one node still lacks once within has passed since.
// It does not fail the test itself, so it may run in its own goroutine.
func (l *netLab) waitMembers(ctx context.Context, since time.Time, within time.Duration) (time.Duration, error) {
	ids := make([]string, labNodes)
	for i := range labNodes {
		st, err := l.status(ctx, i)
		if err != nil {
			return 0, err
		}
		ids[i] = st.PeerID
	}
	var last time.Duration
	for i := range labNodes {
		for {
			err := l.fullView(ctx, i, ids)
			if err == nil {
				break
			}
			if time.Since(since) > within || ctx.Err() != nil {
				return 0, fmt.Errorf("node %d: %w, %v after the heal", i+1, err, time.Since(since))
			}
			time.Sleep(100 * time.Millisecond)
		}
		last = max(last, time.Since(since))
	}
	return last, nil
}

// fullView checks that node i's status shows every other node (ids)
// connected.
func (l *netLab) fullView(ctx context.Context, i int, ids []string) error {
	st, err := l.status(ctx, i)
	if err != nil {
		return err
	}
	var connected []string
	for _, p := range st.Peers {
		if p.Connected {
			connected = append(connected, p.ID)
		}
	}
	for j, id := range ids {
		if j != i && !slices.Contains(connected, id) {
			return fmt.Errorf("status shows node %d not connected (%d peers connected)", j+1, len(connected))
		}
	}
	return nil
}

// putAtCut PUTs one object through c (a minority node) right after the
// cut and checks that it answers within writeAnswer: 200, an acknowledged
// write recorded like the others (its node found --sync-replicas holders
// on its side), or 503 with Retry-After (it could not), recorded as an
// unacknowledged one. Anything else, or a later answer, fails the test.
func (h *partitionHistory) putAtCut(t *testing.T, c *s3.Client) {
	o := renamed(mixedObjects(1, 64<<10, 99), "cut")[0]
	ctx, cancel := context.WithTimeout(t.Context(), opTimeout)
	defer cancel()
	start := time.Now()
	err := putObject(ctx, c, partBucket, o)
	took := time.Since(start)
	h.record(o, err == nil, true)
	if err == nil {
		t.Logf("PUT through the minority right after the cut: 200 after %v", took)
	} else {
		t.Logf("PUT through the minority right after the cut: after %v: %v", took, err)
	}
	if took > writeAnswer {
		t.Errorf("PUT through the minority right after the cut answered after %v, want within %v", took, writeAnswer)
	}
	if err == nil {
		return
	}
	var re *awshttp.ResponseError
	if !errors.As(err, &re) || re.HTTPStatusCode() != http.StatusServiceUnavailable {
		t.Errorf("PUT through the minority right after the cut: %v, want 200 or 503", err)
		return
	}
	if ra := re.Response.Header.Get("Retry-After"); ra == "" {
		t.Errorf("503 to the PUT right after the cut has no Retry-After")
	}
}
