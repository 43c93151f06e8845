package users

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"log/slog"
	"sync"
	"time"

	badger "github.com/dgraph-io/badger/v4"

	"github.com/d3s/d3s/dht/record"
	"github.com/d3s/d3s/s3"
)

// usersRecordPrefix prefixes, in badger, the signed credential record of
// each user by access key ID; names.go has the index by name. (Data dirs
// written before names were network-wide also hold a users/name/ index,
// no longer read.)
const usersRecordPrefix = "users/ak/"

// firstUserName is the user created on a node's very first start.
const firstUserName = "admin"

// Credentials is what a new user receives, once: the secret access key is
// shown at creation and never listed again.
type Credentials struct {
	Name            string `json:"name"`
	AccessKeyID     string `json:"access_key_id"`
	SecretAccessKey string `json:"secret_access_key"`
}

// Info describes a user without its secret.
type Info struct {
	Name        string    `json:"name"`
	AccessKeyID string    `json:"access_key_id"`
	Created     time.Time `json:"created"`
	// Status is StatusActive, StatusRemoved or StatusConflict.
	Status string `json:"status"`
	// LostTo is, for StatusConflict, the access key ID of the user that
	// kept the name.
	LostTo string `json:"lost_to,omitempty"`
}

// DB keeps the users this node knows, as signed record.UserRecords in badger,
// and answers the S3 front end's credential lookups (s3.Credentials) and
// the catalogue's key requests (catalog.Signer). Records come from this
// node's Add, from the user sync protocol and from the DHT; once the node
// is on the network (Attach), new users are published to both.
type DB struct {
	db  *badger.DB
	log *slog.Logger
	// network is the network key: it seals and opens user secrets.
	network record.NetworkKey

	addMu sync.Mutex // serialises Add so that the name check holds

	mu    sync.RWMutex
	cache map[string]cachedUser // opened records by access key ID
	gen   uint64                // counts forgetAll: see open
	miss  map[string]time.Time  // access key IDs the network did not know, until when
	net   Network               // nil until Attach
}

// Network is where users are published and looked up beyond this node:
// the DHT and the members connected over the user sync protocol (Sync).
type Network interface {
	// Get returns the best record under key, or an error (wrapping
	// dht.ErrNotFound when the network has none).
	Get(ctx context.Context, key string) ([]byte, error)
	// Publish stores a user record in the DHT and pushes it to the
	// connected members.
	Publish(ctx context.Context, key string, record []byte) error
	// Fresh returns nil when this node has merged the user records of a
	// member since it was last connected to none, or is connected to none
	// (offline-first: it serves what it has). Otherwise it waits, within
	// a bound, for that merge, and fails with an error wrapping
	// ErrNotSynced.
	Fresh(ctx context.Context) error
}

// cachedUser is an opened record: LookupUser runs on every request, so the
// signature check and unsealing happen once per user.
type cachedUser struct {
	user   s3.User
	secret string
	priv   ed25519.PrivateKey
	// refused, when not nil, is why S3 requests with this key are refused:
	// the user was removed or lost its name. Its private key still signs
	// the catalogue records its data needs.
	refused error
}

var _ s3.Credentials = (*DB)(nil)

// Open opens the user database in db; netKey seals and opens the users'
// secrets.
func Open(db *badger.DB, netKey record.NetworkKey, log *slog.Logger) *DB {
	u := &DB{
		db:      db,
		log:     log.With("component", "users"),
		network: netKey,
		cache:   make(map[string]cachedUser),
		miss:    make(map[string]time.Time),
	}
	if err := u.reindex(); err != nil {
		u.log.Error("user name index", "err", err)
	}
	return u
}

// Attach connects the user database to the network: lookups that miss
// locally ask it, and new users are published to it.
func (u *DB) Attach(net Network) {
	u.mu.Lock()
	u.net = net
	u.mu.Unlock()
}

// netw returns the attached network, or nil.
func (u *DB) netw() Network {
	u.mu.RLock()
	defer u.mu.RUnlock()
	return u.net
}

// publishTimeout bounds publishing a new user to the network; a user the
// network did not take is spread later by the DHT's republishing and the
// user sync protocol.
const publishTimeout = 10 * time.Second

// Add creates a user called name and returns its credentials. The name must
// be 1–64 characters of [A-Za-z0-9._@-] (else the error wraps
// record.ErrInvalidUserName) and held by no active user of the network
// (else ErrUserExists). Before checking, a node connected to members waits
// until it has merged their user records (else ErrNotSynced). On the
// network the record is published to the DHT and pushed to the connected
// members before Add returns.
func (u *DB) Add(ctx context.Context, name string) (*Credentials, error) {
	if err := u.fresh(ctx); err != nil {
		return nil, fmt.Errorf("add user %q: %w", name, err)
	}
	u.addMu.Lock()
	creds, raw, err := u.add(name)
	u.addMu.Unlock()
	if err != nil {
		return nil, err
	}
	u.publish(ctx, creds.AccessKeyID, raw)
	return creds, nil
}

// fresh returns nil once this node's user records are merged with the
// network's (or it has no member to merge with); see Network.Fresh.
func (u *DB) fresh(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if net := u.netw(); net != nil {
		return net.Fresh(ctx)
	}
	return nil
}

// publish sends a record to the network, if attached; failures are logged.
func (u *DB) publish(ctx context.Context, akid string, raw []byte) {
	net := u.netw()
	if net == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), publishTimeout)
	defer cancel()
	if err := net.Publish(ctx, record.UserKey(akid), raw); err != nil {
		u.log.Warn("publish user", "access_key_id", akid, "err", err)
	}
}

// add is Add with addMu held; it returns the encoded record too.
func (u *DB) add(name string) (*Credentials, []byte, error) {
	rec, secret, err := record.NewUser(name, u.network)
	if err != nil {
		return nil, nil, fmt.Errorf("add user: %w", err)
	}
	_, priv, err := rec.Open(u.network)
	if err != nil {
		return nil, nil, fmt.Errorf("add user: %w", err)
	}
	akid, raw := rec.AccessKeyID(), rec.Marshal()
	err = u.db.Update(func(txn *badger.Txn) error {
		g, err := loadName(txn, name)
		if err != nil {
			return err
		}
		if h, taken := g.holder(); taken {
			return fmt.Errorf("add user %q: %w in the network (access key %s)", name, ErrUserExists, h.AccessKeyID())
		}
		if err := txn.Set([]byte(usersRecordPrefix+akid), raw); err != nil {
			return err
		}
		return txn.Set(byNameKey(name, akid), nil)
	})
	if err != nil {
		return nil, nil, err
	}
	u.forgetAll()
	u.remember(akid, cachedUser{user: s3.User{AccessKeyID: akid, Name: name}, secret: secret, priv: priv})
	u.log.Info("user added", "name", name, "access_key_id", akid)
	return &Credentials{Name: name, AccessKeyID: akid, SecretAccessKey: secret}, raw, nil
}

// List returns every user the node knows, active, removed or in conflict,
// oldest first.
func (u *DB) List(ctx context.Context) ([]Info, error) {
	recs, err := u.Records(ctx)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	byName := make(map[string][]record.UserRecord)
	for akid, raw := range recs {
		r, err := record.UnmarshalUserRecord(raw)
		if err != nil {
			return nil, fmt.Errorf("list users: user %s: %w", akid, err)
		}
		byName[r.Name] = append(byName[r.Name], r)
	}
	users := make([]Info, 0, len(recs))
	for _, group := range byName {
		g := nameGroup{recs: group, lost: record.NameConflicts(group)}
		for _, r := range group {
			users = append(users, Info{Name: r.Name, AccessKeyID: r.AccessKeyID(), Created: r.Created,
				Status: g.status(r), LostTo: g.lost[r.AccessKeyID()]})
		}
	}
	sortUsers(users)
	return users, nil
}

// EnsureFirstUser creates the user "admin" when the database holds no user
// at all, and returns its credentials; on every later start it returns nil.
// Only the founder of a network calls it (a joining node gets its users
// from the network); Sync.PublishAll then publishes every local user.
func (u *DB) EnsureFirstUser(ctx context.Context) (*Credentials, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	u.addMu.Lock()
	defer u.addMu.Unlock()
	empty, err := u.empty()
	if err != nil || !empty {
		return nil, err
	}
	creds, _, err := u.add(firstUserName)
	return creds, err
}

// empty reports whether no user exists.
func (u *DB) empty() (bool, error) {
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
