package dht

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/d3s/d3s/dht/record"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
)

func checkMode0600(t *testing.T, path string) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %v, want 0600", path, fi.Mode().Perm())
	}
}

func TestNodeKeyPersists(t *testing.T) {
	path := filepath.Join(t.TempDir(), "node.key")
	k1, err := LoadOrCreateNodeKey(path)
	if err != nil {
		t.Fatal(err)
	}
	checkMode0600(t, path)
	k2, err := LoadOrCreateNodeKey(path)
	if err != nil {
		t.Fatal(err)
	}
	if !k1.Equals(k2) || k1.Type() != crypto.Ed25519 {
		t.Error("node key changed across loads or is not Ed25519")
	}
	id1, _ := peer.IDFromPrivateKey(k1)
	id2, _ := peer.IDFromPrivateKey(k2)
	if id1 != id2 || id1 == "" {
		t.Errorf("peer IDs %s and %s differ", id1, id2)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("data dir holds %d entries, want only node.key (temporary file left?)", len(entries))
	}
}

func TestNetworkKeyPersists(t *testing.T) {
	path := filepath.Join(t.TempDir(), "network.key")
	k1, err := LoadOrCreateNetworkKey(path)
	if err != nil {
		t.Fatal(err)
	}
	checkMode0600(t, path)
	k2, err := LoadOrCreateNetworkKey(path)
	if err != nil {
		t.Fatal(err)
	}
	if k1 != k2 || k1 == (record.NetworkKey{}) {
		t.Errorf("network key %x then %x", k1, k2)
	}
}

func TestBadKeyFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	if _, err := LoadOrCreateNodeKey(write("node.key", "garbage")); !errors.Is(err, ErrBadKeyFile) {
		t.Errorf("garbage node key: %v, want ErrBadKeyFile", err)
	}
	for _, content := range []string{"zz", "abcd", ""} {
		if _, err := LoadOrCreateNetworkKey(write("network.key", content)); !errors.Is(err, ErrBadKeyFile) {
			t.Errorf("network key %q: %v, want ErrBadKeyFile", content, err)
		}
	}
	if _, err := LoadOrCreateNodeKey(filepath.Join(dir, "missing", "node.key")); err == nil {
		t.Error("node key in a missing directory: no error")
	}
}
