package dht

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/d3s/d3s/dht/record"
	"github.com/libp2p/go-libp2p/core/crypto"
)

// LoadOrCreateNodeKey returns the node's Ed25519 identity key stored at
// path, creating it (mode 0600) on first use. The file holds the key in
// libp2p's protobuf encoding (crypto.MarshalPrivateKey), so the libp2p host
// can use it as its identity unchanged.
func LoadOrCreateNodeKey(path string) (crypto.PrivKey, error) {
	data, err := loadOrCreate(path, func() ([]byte, error) {
		priv, _, err := crypto.GenerateEd25519Key(rand.Reader)
		if err != nil {
			return nil, err
		}
		return crypto.MarshalPrivateKey(priv)
	})
	if err != nil {
		return nil, fmt.Errorf("node key %s: %w", path, err)
	}
	priv, err := crypto.UnmarshalPrivateKey(data)
	if err != nil {
		return nil, fmt.Errorf("node key %s: %w: %v", path, ErrBadKeyFile, err)
	}
	if priv.Type() != crypto.Ed25519 {
		return nil, fmt.Errorf("node key %s: %w: key type %v, want Ed25519", path, ErrBadKeyFile, priv.Type())
	}
	return priv, nil
}

// LoadOrCreateNetworkKey returns the network key stored at path, creating a
// random one (mode 0600) on first use. The file holds the key in hex on one
// line, so an operator can read and copy it.
func LoadOrCreateNetworkKey(path string) (record.NetworkKey, error) {
	var key record.NetworkKey
	data, err := loadOrCreate(path, func() ([]byte, error) {
		var k record.NetworkKey
		if _, err := rand.Read(k[:]); err != nil {
			return nil, err
		}
		return []byte(hex.EncodeToString(k[:]) + "\n"), nil
	})
	if err != nil {
		return key, fmt.Errorf("network key %s: %w", path, err)
	}
	raw, err := hex.DecodeString(string(bytes.TrimSpace(data)))
	if err != nil || len(raw) != record.NetworkKeySize {
		return key, fmt.Errorf("network key %s: %w: want %d hex-encoded bytes", path, ErrBadKeyFile, record.NetworkKeySize)
	}
	copy(key[:], raw)
	return key, nil
}

// loadOrCreate reads path, or creates it with the bytes gen returns. The new
// file is written to a temporary name, synced, then hard-linked into place,
// so a crash never leaves a partial key and a concurrent creator never
// overwrites a key already handed out.
func loadOrCreate(path string, gen func() ([]byte, error)) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return data, err
	}
	data, err = gen()
	if err != nil {
		return nil, fmt.Errorf("generate: %w", err)
	}
	if err := writeNoClobber(path, data); errors.Is(err, fs.ErrExist) {
		return os.ReadFile(path)
	} else if err != nil {
		return nil, err
	}
	return data, nil
}

// writeNoClobber writes data to path with mode 0600, failing with
// fs.ErrExist when path already exists.
func writeNoClobber(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := writeSync(tmp, data); err != nil {
		return err
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		return err
	}
	return syncDir(filepath.Dir(path))
}

// writeSync writes data to f (created 0600 by os.CreateTemp), syncs and
// closes it.
func writeSync(f *os.File, data []byte) error {
	_, err := f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// syncDir makes a new directory entry durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
