package dht

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/libp2p/go-libp2p/core/crypto"

	"github.com/d3s/d3s/dht/record"
	"github.com/d3s/d3s/internal/fsutil"
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
	data, err := loadOrCreate(path, func() ([]byte, error) {
		var k record.NetworkKey
		if _, err := rand.Read(k[:]); err != nil {
			return nil, err
		}
		return encodeNetworkKey(k), nil
	})
	if err != nil {
		return record.NetworkKey{}, fmt.Errorf("network key %s: %w", path, err)
	}
	return decodeNetworkKey(path, data)
}

// ReadNetworkKey reads the network key file at path. The error wraps
// fs.ErrNotExist when there is none, ErrBadKeyFile when it does not hold
// a key.
func ReadNetworkKey(path string) (record.NetworkKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return record.NetworkKey{}, err
	}
	return decodeNetworkKey(path, data)
}

// WriteNetworkKey writes key to path in the network key file's format,
// replacing any file there atomically (mode 0600).
func WriteNetworkKey(path string, key record.NetworkKey) error {
	return fsutil.WriteFileAtomic(path, encodeNetworkKey(key))
}

// encodeNetworkKey is the network key file's content: hex on one line.
func encodeNetworkKey(k record.NetworkKey) []byte {
	return []byte(hex.EncodeToString(k[:]) + "\n")
}

// decodeNetworkKey parses the content of the network key file at path.
func decodeNetworkKey(path string, data []byte) (record.NetworkKey, error) {
	var key record.NetworkKey
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
	if err := fsutil.WriteNoClobber(path, data); errors.Is(err, fs.ErrExist) {
		return os.ReadFile(path)
	} else if err != nil {
		return nil, err
	}
	return data, nil
}
