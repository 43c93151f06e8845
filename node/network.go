package node

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/d3s/d3s/dht"
	"github.com/d3s/d3s/dht/record"
	"github.com/d3s/d3s/internal/fsutil"
)

// Files in the data dir that make a node a member of its network.
const (
	// nodeKeyFile holds the node's libp2p identity (dht.LoadOrCreateNodeKey).
	nodeKeyFile = "node.key"
	// networkKeyFile holds the network key in hex.
	networkKeyFile = "network.key"
	// joinedFile marks a data dir that joined an existing network with a
	// token: such a node never creates the first user.
	joinedFile = "network.joined"
	// JoinTokenFile is where a running node keeps its current join token
	// (mode 0600): the network key and this node's addresses.
	JoinTokenFile = "join-token"
)

// membership is what makes a node a member of one network.
type membership struct {
	key      record.NetworkKey
	identity crypto.PrivKey
	id       peer.ID
	// bootstrap are the members named by the join token, if any.
	bootstrap []peer.AddrInfo
	// joined: the data dir joined an existing network (not its founder).
	joined bool
	// joinedNow: this start stored the network key from a token.
	joinedNow bool
}

// loadMembership loads the node key and the network key of dataDir. With a
// join token, the network key comes from the token: a data dir without a
// network key stores it, one holding another key is refused
// (ErrOtherNetwork). Without a token, the stored key is used, or a fresh
// one is created: this node founds a new network.
func loadMembership(dataDir, token string) (membership, error) {
	var m membership
	var err error
	if m.identity, err = dht.LoadOrCreateNodeKey(filepath.Join(dataDir, nodeKeyFile)); err != nil {
		return m, fmt.Errorf("node: %w", err)
	}
	if m.id, err = peer.IDFromPrivateKey(m.identity); err != nil {
		return m, fmt.Errorf("node: identity: %w", err)
	}
	if token != "" {
		err = m.join(dataDir, token)
	} else {
		m.key, err = dht.LoadOrCreateNetworkKey(filepath.Join(dataDir, networkKeyFile))
	}
	if err != nil {
		return m, fmt.Errorf("node: %w", err)
	}
	_, err = os.Stat(filepath.Join(dataDir, joinedFile))
	m.joined = err == nil
	return m, nil
}

// join takes the network key and the bootstrap peers from token.
func (m *membership) join(dataDir, token string) error {
	t, err := dht.ParseToken(token)
	if err != nil {
		return fmt.Errorf("join token: %w", err)
	}
	infos, err := t.Peers()
	if err != nil {
		return fmt.Errorf("join token: %w", err)
	}
	for _, p := range infos {
		if p.ID != m.id {
			m.bootstrap = append(m.bootstrap, p)
		}
	}
	m.key = t.NetworkKey
	path := filepath.Join(dataDir, networkKeyFile)
	have, err := dht.ReadNetworkKey(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		m.joinedNow = true
		return storeJoinedKey(dataDir, t.NetworkKey)
	case err != nil:
		return err
	case have != t.NetworkKey:
		return fmt.Errorf("%w: %s holds the key of another network; use a fresh data dir to join this one", ErrOtherNetwork, path)
	}
	return nil
}

// storeJoinedKey writes the joined network's key and the joined marker.
// The marker goes first: a crash in between leaves a data dir that still
// joins with the token and never creates a first user.
func storeJoinedKey(dataDir string, key record.NetworkKey) error {
	if err := fsutil.WriteFileAtomic(filepath.Join(dataDir, joinedFile), nil); err != nil {
		return err
	}
	return dht.WriteNetworkKey(filepath.Join(dataDir, networkKeyFile), key)
}

// ReadJoinToken returns the join token a node last wrote to dataDir. The
// error wraps fs.ErrNotExist when no node has run there yet.
func ReadJoinToken(dataDir string) (string, error) {
	data, err := os.ReadFile(filepath.Join(dataDir, JoinTokenFile))
	if err != nil {
		return "", fmt.Errorf("join token: %w", err)
	}
	return string(bytes.TrimSpace(data)), nil
}
