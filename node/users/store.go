package users

import (
	"context"
	"errors"
	"fmt"

	"github.com/d3s/d3s/internal/kv"

	badger "github.com/dgraph-io/badger/v4"

	"github.com/d3s/d3s/dht/record"
)

// Store keeps a user record that came from the network: it must validate
// under its access key ID, open with this network's key, and beat the
// record stored already (record.SelectUserRecord: a removal is final),
// else it is ignored. Two nodes may create one name at once: both records
// are kept, and record.NameConflicts decides which user holds the name;
// the other one's keys are refused. It reports whether the record was new
// or better.
func (u *DB) Store(accessKeyID string, raw []byte) (bool, error) {
	key := record.UserKey(accessKeyID)
	if err := record.ValidateUserRecord(key, raw); err != nil {
		return false, fmt.Errorf("user record %s: %w", accessKeyID, err)
	}
	rec, _ := record.UnmarshalUserRecord(raw) // validated just above
	if _, _, err := rec.Open(u.network); err != nil {
		return false, fmt.Errorf("user record %s: %w", accessKeyID, err)
	}
	var stored bool
	var err error
	// Two exchanges may store the same record at once: retry a conflict.
	for range 8 {
		if stored, err = u.storeTxn(accessKeyID, rec.Name, raw); !errors.Is(err, badger.ErrConflict) {
			break
		}
	}
	if err != nil {
		return false, fmt.Errorf("store user %s: %w", accessKeyID, err)
	}
	if stored {
		u.forgetAll() // reopened from the better record
		u.mu.Lock()
		delete(u.miss, accessKeyID)
		u.mu.Unlock()
	}
	return stored, nil
}

// storeTxn stores raw unless a better record is stored already, in one
// transaction; it reports whether it stored it.
func (u *DB) storeTxn(accessKeyID, name string, raw []byte) (bool, error) {
	key := record.UserKey(accessKeyID)
	stored := false
	err := u.db.Update(func(txn *badger.Txn) error {
		old, found, err := kv.Get(txn, usersRecordPrefix+accessKeyID)
		if err != nil {
			return err
		}
		if found {
			if best, err := record.SelectUserRecord(key, [][]byte{old, raw}); err != nil || best == 0 {
				return err
			}
		}
		stored = true
		if err := txn.Set([]byte(usersRecordPrefix+accessKeyID), raw); err != nil {
			return err
		}
		return txn.Set(byNameKey(name, accessKeyID), nil)
	})
	return stored && err == nil, err
}

// Records returns every stored user record by access key ID.
func (u *DB) Records(ctx context.Context) (map[string][]byte, error) {
	out := make(map[string][]byte)
	err := u.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(usersRecordPrefix), PrefetchValues: true, PrefetchSize: 64})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			if err := ctx.Err(); err != nil {
				return err
			}
			v, err := it.Item().ValueCopy(nil)
			if err != nil {
				return err
			}
			out[string(it.Item().Key()[len(usersRecordPrefix):])] = v
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read user records: %w", err)
	}
	return out, nil
}
