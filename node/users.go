package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/d3s/d3s/dht"
	"github.com/d3s/d3s/s3"
	badger "github.com/dgraph-io/badger/v4"
	"github.com/libp2p/go-libp2p/core/crypto"
)

// Badger key prefixes of the user database: the signed credential record of
// each user by access key ID, and an index from name to access key ID that
// keeps names unique.
const (
	usersRecordPrefix = "users/ak/"
	usersNamePrefix   = "users/name/"
)

// firstUserName is the user created on a node's very first start.
const firstUserName = "admin"

// UserCredentials is what a new user receives, once: the secret access key
// is shown at creation and never listed again.
type UserCredentials struct {
	Name            string `json:"name"`
	AccessKeyID     string `json:"access_key_id"`
	SecretAccessKey string `json:"secret_access_key"`
}

// UserInfo describes a user without its secret.
type UserInfo struct {
	Name        string    `json:"name"`
	AccessKeyID string    `json:"access_key_id"`
	Created     time.Time `json:"created"`
}

// userDB keeps the users this node created, as signed dht.UserRecords in
// badger, and answers the S3 front end's credential lookups.
type userDB struct {
	db  *badger.DB
	log *slog.Logger
	// network is the network key: it seals and opens user secrets and is
	// the libp2p PSK of the network.
	network dht.NetworkKey
	// identity is the node's libp2p identity key.
	identity crypto.PrivKey

	addMu sync.Mutex // serialises Add so that the name check holds

	mu    sync.RWMutex
	cache map[string]cachedUser // opened secrets by access key ID
}

// cachedUser is an opened record: LookupUser runs on every request, so the
// signature check and unsealing happen once per user.
type cachedUser struct {
	user   s3.User
	secret string
}

var _ s3.Credentials = (*userDB)(nil)

// openUsers opens the user database in db, loading (or creating on first
// start) the network key at dataDir/network.key and the node key at
// dataDir/node.key.
func openUsers(db *badger.DB, dataDir string, log *slog.Logger) (*userDB, error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("open users: %w", err)
	}
	network, err := dht.LoadOrCreateNetworkKey(filepath.Join(dataDir, "network.key"))
	if err != nil {
		return nil, fmt.Errorf("open users: %w", err)
	}
	identity, err := dht.LoadOrCreateNodeKey(filepath.Join(dataDir, "node.key"))
	if err != nil {
		return nil, fmt.Errorf("open users: %w", err)
	}
	return &userDB{
		db:       db,
		log:      log.With("component", "users"),
		network:  network,
		identity: identity,
		cache:    make(map[string]cachedUser),
	}, nil
}

// Add creates a user called name and returns its credentials. The name must
// be 1–64 characters of [A-Za-z0-9._@-] (else the error wraps
// dht.ErrInvalidUserName) and not taken (else ErrUserExists).
func (u *userDB) Add(ctx context.Context, name string) (*UserCredentials, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	u.addMu.Lock()
	defer u.addMu.Unlock()
	return u.add(name)
}

// add is Add with addMu held.
func (u *userDB) add(name string) (*UserCredentials, error) {
	rec, secret, err := dht.NewUser(name, u.network)
	if err != nil {
		return nil, fmt.Errorf("add user: %w", err)
	}
	akid := rec.AccessKeyID()
	err = u.db.Update(func(txn *badger.Txn) error {
		if _, err := txn.Get([]byte(usersNamePrefix + name)); err == nil {
			return fmt.Errorf("add user %q: %w", name, ErrUserExists)
		} else if !errors.Is(err, badger.ErrKeyNotFound) {
			return err
		}
		if err := txn.Set([]byte(usersRecordPrefix+akid), rec.Marshal()); err != nil {
			return err
		}
		return txn.Set([]byte(usersNamePrefix+name), []byte(akid))
	})
	if err != nil {
		return nil, err
	}
	u.remember(akid, name, secret)
	u.log.Info("user added", "name", name, "access_key_id", akid)
	return &UserCredentials{Name: name, AccessKeyID: akid, SecretAccessKey: secret}, nil
}

// List returns every user, oldest first.
func (u *userDB) List(ctx context.Context) ([]UserInfo, error) {
	var users []UserInfo
	err := u.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(usersRecordPrefix), PrefetchValues: true, PrefetchSize: 64})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			if err := ctx.Err(); err != nil {
				return err
			}
			info, err := userInfo(it.Item())
			if err != nil {
				return err
			}
			users = append(users, info)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	sortUsers(users)
	return users, nil
}

// userInfo decodes the record stored in item.
func userInfo(item *badger.Item) (UserInfo, error) {
	val, err := item.ValueCopy(nil)
	if err != nil {
		return UserInfo{}, err
	}
	rec, err := dht.UnmarshalUserRecord(val)
	if err != nil {
		return UserInfo{}, fmt.Errorf("user %s: %w", item.Key(), err)
	}
	return UserInfo{Name: rec.Name, AccessKeyID: rec.AccessKeyID(), Created: rec.Created}, nil
}

// ensureFirstUser creates the user "admin" when the database holds no user
// at all, and returns its credentials; on every later start it returns nil.
func (u *userDB) ensureFirstUser(ctx context.Context) (*UserCredentials, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	u.addMu.Lock()
	defer u.addMu.Unlock()
	empty, err := u.empty()
	if err != nil || !empty {
		return nil, err
	}
	return u.add(firstUserName)
}

// empty reports whether no user exists.
func (u *userDB) empty() (bool, error) {
	empty := true
	err := u.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(usersRecordPrefix)})
		defer it.Close()
		it.Rewind()
		empty = !it.Valid()
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("count users: %w", err)
	}
	return empty, nil
}
