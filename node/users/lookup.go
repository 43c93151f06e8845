package users

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"sort"
	"time"

	badger "github.com/dgraph-io/badger/v4"

	"github.com/d3s/d3s/dht/record"
	"github.com/d3s/d3s/s3"
)

// Negative lookup cache: an access key ID the network does not know is
// not asked for again within missTTL, so a client sending bogus keys
// cannot make every request a DHT lookup. The cache holds at most
// maxMisses IDs and is emptied when full.
const (
	missTTL   = 5 * time.Second
	maxMisses = 10000
	// lookupTimeout bounds the DHT lookup of an unknown access key ID.
	lookupTimeout = 5 * time.Second
)

// LookupUser returns the user owning accessKeyID and its secret access key,
// or an error wrapping s3.ErrInvalidAccessKeyID when no such user exists
// here or in the network, or it was removed, or it lost its name. It runs
// on every request: a user's record is validated and unsealed once, then
// served from memory. A node that rejoined its network first merges the
// members' user records (Network.Fresh), so it never serves a key whose
// removal or rotation it missed while away; when it cannot, the error
// wraps s3.ErrSlowDown (503), which clients retry.
func (u *DB) LookupUser(ctx context.Context, accessKeyID string) (s3.User, string, error) {
	if err := u.fresh(ctx); errors.Is(err, ErrNotSynced) {
		return s3.User{}, "", fmt.Errorf("look up user %s: %w: %w", accessKeyID, err, s3.WithMessage(s3.ErrSlowDown,
			"This node has just rejoined its network and has not yet merged its user records. Please retry."))
	} else if err != nil {
		return s3.User{}, "", err
	}
	c, err := u.lookup(ctx, accessKeyID)
	if err != nil {
		return s3.User{}, "", err
	}
	if c.refused != nil {
		return s3.User{}, "", c.refused
	}
	return c.user, c.secret, nil
}

// UserKey implements catalog.Signer: it opens the user's private key from
// its record, so this node can sign the user's catalogue records. The
// error wraps ErrUnknownUser for a user unknown here and in the network.
func (u *DB) UserKey(ctx context.Context, accessKeyID string) (ed25519.PrivateKey, error) {
	c, err := u.lookup(ctx, accessKeyID)
	if errors.Is(err, s3.ErrInvalidAccessKeyID) {
		return nil, fmt.Errorf("user %s: %w", accessKeyID, ErrUnknownUser)
	}
	if err != nil {
		return nil, err
	}
	return c.priv, nil
}

// lookup returns the opened record of accessKeyID: from memory, else from
// badger, else from the network (stored locally once found).
func (u *DB) lookup(ctx context.Context, accessKeyID string) (cachedUser, error) {
	u.mu.RLock()
	c, ok := u.cache[accessKeyID]
	missUntil, gen := u.miss[accessKeyID], u.gen
	u.mu.RUnlock()
	switch {
	case ok:
		return c, nil
	case !record.ValidAccessKeyID(accessKeyID), time.Now().Before(missUntil):
		return cachedUser{}, s3.ErrInvalidAccessKeyID
	}
	if err := ctx.Err(); err != nil {
		return cachedUser{}, err
	}
	raw, err := u.loadLocal(accessKeyID)
	if errors.Is(err, badger.ErrKeyNotFound) {
		raw, err = u.fetch(ctx, accessKeyID)
	}
	if err != nil {
		return cachedUser{}, err
	}
	return u.open(accessKeyID, raw, gen)
}

// loadLocal returns the stored record of accessKeyID, or an error wrapping
// badger.ErrKeyNotFound.
func (u *DB) loadLocal(accessKeyID string) ([]byte, error) {
	var val []byte
	err := u.db.View(func(txn *badger.Txn) error {
		item, err := txn.Get([]byte(usersRecordPrefix + accessKeyID))
		if err != nil {
			return err
		}
		val, err = item.ValueCopy(nil)
		return err
	})
	if err != nil && !errors.Is(err, badger.ErrKeyNotFound) {
		return nil, fmt.Errorf("look up user %s: %w", accessKeyID, err)
	}
	return val, err
}

// fetch asks the network for the record of accessKeyID and stores it; a
// miss is remembered for missTTL.
func (u *DB) fetch(ctx context.Context, accessKeyID string) ([]byte, error) {
	net := u.netw()
	if net == nil {
		return nil, s3.ErrInvalidAccessKeyID
	}
	lctx, cancel := context.WithTimeout(ctx, lookupTimeout)
	defer cancel()
	raw, err := net.Get(lctx, record.UserKey(accessKeyID))
	if err != nil && ctx.Err() != nil {
		return nil, ctx.Err() // the caller gave up: no verdict to remember
	}
	if err == nil {
		_, err = u.Store(accessKeyID, raw)
	}
	if err != nil {
		u.log.Debug("user not found in the network", "access_key_id", accessKeyID, "err", err)
		u.rememberMiss(accessKeyID)
		return nil, s3.ErrInvalidAccessKeyID
	}
	return raw, nil
}

// rememberMiss puts accessKeyID in the negative cache.
func (u *DB) rememberMiss(accessKeyID string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if len(u.miss) >= maxMisses {
		clear(u.miss)
	}
	u.miss[accessKeyID] = time.Now().Add(missTTL)
}

// open validates and unseals a record and caches it, unless a record was
// stored since generation gen of the cache, when raw may be outdated.
func (u *DB) open(accessKeyID string, raw []byte, gen uint64) (cachedUser, error) {
	if err := record.ValidateUserRecord(record.UserKey(accessKeyID), raw); err != nil {
		return cachedUser{}, fmt.Errorf("look up user %s: %w", accessKeyID, err)
	}
	rec, _ := record.UnmarshalUserRecord(raw) // validated just above
	secret, priv, err := rec.Open(u.network)
	if err != nil {
		return cachedUser{}, fmt.Errorf("look up user %s: %w", accessKeyID, err)
	}
	c := cachedUser{user: s3.User{AccessKeyID: accessKeyID, Name: rec.Name}, secret: secret, priv: priv}
	if c.refused, err = u.refusal(rec); err != nil {
		return cachedUser{}, fmt.Errorf("look up user %s: %w", accessKeyID, err)
	}
	u.mu.Lock()
	if u.gen == gen {
		u.cache[accessKeyID] = c
		delete(u.miss, accessKeyID)
	}
	u.mu.Unlock()
	return c, nil
}

// refusal returns why S3 requests with rec's keys are refused, or nil:
// the user was removed, or lost its name (record.NameConflicts).
func (u *DB) refusal(rec record.UserRecord) (error, error) {
	akid := rec.AccessKeyID()
	if rec.Revoked {
		return fmt.Errorf("user %s (%s): %w: %w", rec.Name, akid, ErrUserRemoved, s3.WithMessage(s3.ErrInvalidAccessKeyID,
			fmt.Sprintf("The AWS Access Key Id you provided belonged to user %q, which was removed.", rec.Name))), nil
	}
	g, err := u.group(rec.Name)
	if err != nil {
		return nil, err
	}
	if winner := g.lost[akid]; winner != "" {
		return fmt.Errorf("user %s (%s): %w: %w", rec.Name, akid, ErrNameConflict, s3.WithMessage(s3.ErrInvalidAccessKeyID,
			fmt.Sprintf("The AWS Access Key Id you provided belongs to user %q, created at the same time as another user of that name "+
				"on another node; that user (access key %s) kept the name and this key is disabled. Create a new user.", rec.Name, winner))), nil
	}
	return nil, nil
}

// forgetAll empties the cache of opened users: a stored record can change
// the verdict on other users of its name. It starts a new generation, so
// a lookup that read a record before cannot cache it after.
func (u *DB) forgetAll() {
	u.mu.Lock()
	clear(u.cache)
	u.gen++
	u.mu.Unlock()
}

// remember caches an opened user and forgets any miss of it.
func (u *DB) remember(accessKeyID string, c cachedUser) {
	u.mu.Lock()
	u.cache[accessKeyID] = c
	delete(u.miss, accessKeyID)
	u.mu.Unlock()
}

// sortUsers orders users oldest first, then by name and access key ID.
func sortUsers(users []Info) {
	sort.Slice(users, func(i, j int) bool {
		if !users[i].Created.Equal(users[j].Created) {
			return users[i].Created.Before(users[j].Created)
		}
		if users[i].Name != users[j].Name {
			return users[i].Name < users[j].Name
		}
		return users[i].AccessKeyID < users[j].AccessKeyID
	})
}
