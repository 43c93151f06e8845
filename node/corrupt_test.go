package node

import (
	"bytes"
	"context"
	"crypto/sha256"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/d3s/d3s/swarm"
)

// objectFile is where n stores file object id (swarm's objPath).
func objectFile(n *Node, id swarm.ID) string {
	h := id.String()
	return filepath.Join(n.cfg.DataDir, "objects", "obj", h[:2], h[2:4], h)
}

// flipByte inverts the byte at off of the file at path, durably.
func flipByte(t *testing.T, path string, off int64) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var b [1]byte
	if _, err := f.ReadAt(b[:], off); err != nil {
		t.Fatal(err)
	}
	b[0] ^= 0xff
	if _, err := f.WriteAt(b[:], off); err != nil {
		t.Fatal(err)
	}
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
}

// fileIs reports whether the file at path holds exactly want.
func fileIs(path string, want []byte) bool {
	got, err := os.ReadFile(path)
	return err == nil && bytes.Equal(got, want)
}

// TestCorruptCopyRepairedOnRead: a byte flipped in one holder's copy is
// found by a GET on that node, the copy is downloaded again from another
// holder, and no GET ever returns the flipped byte (a GET may fail, or
// stop mid-body, while the damage is being found).
func TestCorruptCopyRepairedOnRead(t *testing.T) {
	nodes, u := startNetwork(t, 3, repairConfig)
	data := randomBytes(t, 3<<20)
	id := putIn(t, nodes[0], u, "k", data)
	victim := nodes[1]
	eventually(t, 30*time.Second, "the victim holds a replica", func() bool {
		return holds(t, victim, u, "k")
	})
	path := objectFile(victim, id)
	flipByte(t, path, 1<<20+12345)
	want := sha256.Sum256(data)
	failed, good := 0, 0
	eventually(t, 30*time.Second, "a GET finds the damage and the copy is repaired", func() bool {
		_, r, err := victim.GetObject(t.Context(), u, "gcbucket", "k")
		if err != nil {
			failed++
		} else {
			body, rerr := io.ReadAll(r)
			r.Close()
			switch {
			case rerr != nil:
				failed++
			case sha256.Sum256(body) != want:
				t.Fatalf("GET returned %d bytes that are not the object's", len(body))
			default:
				good++
			}
		}
		st, err := victim.Status(t.Context())
		return err == nil && st.Corrupt >= 1 && st.Repaired >= 1 && st.Damaged == 0
	})
	t.Logf("GETs while damaged: %d failed, %d correct", failed, good)
	getBytes(t, victim, u, "k", data)
	if !fileIs(path, data) {
		t.Error("the repaired file does not hold the object's bytes")
	}
}

// TestScrubRepairsCorruptCopy: the scrub finds a flipped byte without any
// read, and the copy is repaired from another holder.
func TestScrubRepairsCorruptCopy(t *testing.T) {
	nodes, u := startNetwork(t, 3, func(c *Config) {
		repairConfig(c)
		c.ScrubInterval = 300 * time.Millisecond
	})
	data := randomBytes(t, 2<<20)
	id := putIn(t, nodes[0], u, "k", data)
	victim := nodes[2]
	eventually(t, 30*time.Second, "the victim holds a replica", func() bool {
		return holds(t, victim, u, "k")
	})
	path := objectFile(victim, id)
	flipByte(t, path, 777)
	eventually(t, 30*time.Second, "the scrub finds the damage and the copy is repaired", func() bool {
		st, err := victim.Status(t.Context())
		return err == nil && st.Corrupt >= 1 && st.Repaired >= 1 && fileIs(path, data)
	})
	getBytes(t, victim, u, "k", data)
}

// TestScrubPaceFollowsHeldBytes: the scrub spreads a pass over the
// interval at the pace of the bytes held, read again after every object.
// With the pace fixed when the pass began, a node that held little then
// (a wiped node refilling) crawled through the copies it gained, and a
// flipped byte in one of them went unseen for minutes.
func TestScrubPaceFollowsHeldBytes(t *testing.T) {
	cfg := DefaultConfig()
	cfg.DataDir, cfg.S3Addr, cfg.ScrubInterval = t.TempDir(), "127.0.0.1:0", time.Second
	n, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	var ids []swarm.ID
	for range 3 {
		obj := heldReplica(t, n, 256<<10)
		flipByte(t, objectFile(n, obj.ID), 1000)
		ids = append(ids, obj.ID)
	}
	n.repair.SetHeldBytes(1 << 10)                // what the last repair pass counted
	time.AfterFunc(100*time.Millisecond, func() { // the next pass counts the copies
		n.repair.SetHeldBytes(3 * 256 << 10)
	})
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
	defer cancel()
	n.repair.ScrubPass(ctx)
	for i, id := range ids {
		if !n.repair.Damaged(id) {
			t.Errorf("object %d of 3: the damage not found by a pass bounded to 3 intervals", i)
		}
	}
}
