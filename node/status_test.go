package node

import (
	"slices"
	"testing"
	"time"

	"github.com/d3s/d3s/node/admin"
)

// TestStatus: a node reports its peers, what it holds after a repair
// pass, and the same status over the admin socket.
func TestStatus(t *testing.T) {
	nodes, u := startNetwork(t, 3, repairConfig)
	data := randomBytes(t, 2<<20)
	putIn(t, nodes[0], u, "k", data)
	n := nodes[1]
	var st admin.Status
	eventually(t, 30*time.Second, "a repair pass counts the replica, fully replicated", func() bool {
		var err error
		st, err = n.Status(t.Context())
		return err == nil && !st.LastRepair.IsZero() && st.HeldObjects == 1 && st.UnderReplicated == 0 && st.PendingReplications == 0
	})
	if st.HeldBytes != int64(len(data)) {
		t.Errorf("HeldBytes %d, want %d", st.HeldBytes, len(data))
	}
	if st.PeerID != n.PeerID() || st.S3Addr != n.S3Addr() || len(st.Addrs) == 0 {
		t.Errorf("identity: %q %q %v", st.PeerID, st.S3Addr, st.Addrs)
	}
	var connected []string
	for _, p := range st.Peers {
		if p.Connected {
			connected = append(connected, p.ID)
			if len(p.Addrs) == 0 {
				t.Errorf("peer %s has no addresses", p.ID)
			}
		}
	}
	slices.Sort(connected)
	want := []string{nodes[0].PeerID(), nodes[2].PeerID()}
	slices.Sort(want)
	if !slices.Equal(connected, want) {
		t.Errorf("connected peers %v, want %v", connected, want)
	}
	if st.Corrupt != 0 || st.Repaired != 0 || st.Damaged != 0 {
		t.Errorf("damage counters %d %d %d on a healthy node", st.Corrupt, st.Repaired, st.Damaged)
	}
	var down int64
	for _, m := range nodes {
		s, err := m.Status(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		down += s.BytesDown
	}
	if down < int64(len(data)) {
		t.Errorf("nodes received %d bytes in all, want at least the %d replicated through BitTorrent", down, len(data))
	}

	remote, err := admin.GetStatus(t.Context(), n.cfg.DataDir)
	if err != nil {
		t.Fatalf("admin.GetStatus: %v", err)
	}
	if remote.PeerID != st.PeerID || remote.HeldObjects != 1 || len(remote.Peers) != len(st.Peers) {
		t.Errorf("admin status %+v, want the node's %+v", remote, st)
	}
}

func TestRateSampler(t *testing.T) {
	var r rateSampler
	if d, u := r.rates(); d != 0 || u != 0 {
		t.Fatalf("rates before samples: %v %v", d, u)
	}
	t0 := time.Unix(1000, 0)
	r.add(rateSample{at: t0, down: 100, up: 10})
	if d, u := r.rates(); d != 0 || u != 0 {
		t.Fatalf("rates after one sample: %v %v", d, u)
	}
	r.add(rateSample{at: t0.Add(2 * time.Second), down: 2100, up: 410})
	if d, u := r.rates(); d != 1000 || u != 200 {
		t.Errorf("rates = %v, %v; want 1000, 200 bytes/s", d, u)
	}
}
