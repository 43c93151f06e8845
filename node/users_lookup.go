package node

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/d3s/d3s/dht"
	"github.com/d3s/d3s/s3"
	badger "github.com/dgraph-io/badger/v4"
)

// LookupUser returns the user owning accessKeyID and its secret access key,
// or s3.ErrInvalidAccessKeyID when no such user exists. It runs on every
// request: a user's record is validated and unsealed once, then served from
// memory.
func (u *userDB) LookupUser(ctx context.Context, accessKeyID string) (s3.User, string, error) {
	u.mu.RLock()
	c, ok := u.cache[accessKeyID]
	u.mu.RUnlock()
	if ok {
		return c.user, c.secret, nil
	}
	if !dht.ValidAccessKeyID(accessKeyID) {
		return s3.User{}, "", s3.ErrInvalidAccessKeyID
	}
	if err := ctx.Err(); err != nil {
		return s3.User{}, "", err
	}
	return u.load(accessKeyID)
}

// load reads, validates and opens the record of accessKeyID and caches it.
func (u *userDB) load(accessKeyID string) (s3.User, string, error) {
	var val []byte
	err := u.db.View(func(txn *badger.Txn) error {
		item, err := txn.Get([]byte(usersRecordPrefix + accessKeyID))
		if err != nil {
			return err
		}
		val, err = item.ValueCopy(nil)
		return err
	})
	if errors.Is(err, badger.ErrKeyNotFound) {
		return s3.User{}, "", s3.ErrInvalidAccessKeyID
	}
	if err != nil {
		return s3.User{}, "", fmt.Errorf("look up user %s: %w", accessKeyID, err)
	}
	if err := dht.ValidateUserRecord(dht.UserKey(accessKeyID), val); err != nil {
		return s3.User{}, "", fmt.Errorf("look up user %s: %w", accessKeyID, err)
	}
	rec, _ := dht.UnmarshalUserRecord(val) // validated just above
	secret, _, err := rec.Open(u.network)
	if err != nil {
		return s3.User{}, "", fmt.Errorf("look up user %s: %w", accessKeyID, err)
	}
	return u.remember(accessKeyID, rec.Name, secret), secret, nil
}

// remember caches an opened user and returns it.
func (u *userDB) remember(accessKeyID, name, secret string) s3.User {
	user := s3.User{AccessKeyID: accessKeyID, Name: name}
	u.mu.Lock()
	u.cache[accessKeyID] = cachedUser{user: user, secret: secret}
	u.mu.Unlock()
	return user
}

// sortUsers orders users oldest first, then by name.
func sortUsers(users []UserInfo) {
	sort.Slice(users, func(i, j int) bool {
		if !users[i].Created.Equal(users[j].Created) {
			return users[i].Created.Before(users[j].Created)
		}
		return users[i].Name < users[j].Name
	})
}
