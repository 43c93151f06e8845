package users

import (
	"context"
	"fmt"

	badger "github.com/dgraph-io/badger/v4"

	"github.com/d3s/d3s/dht/record"
	"github.com/d3s/d3s/internal/kv"
)

// usersByNamePrefix indexes the stored records by name:
// users/byname/<name>/<AccessKeyID> -> empty. One name may have several
// users: removed ones, and the loser of two concurrent adds
// (record.NameConflicts decides which one holds it).
const usersByNamePrefix = "users/byname/"

// Status of a user, as List shows it.
const (
	// StatusActive: the user's keys work.
	StatusActive = "active"
	// StatusRemoved: the user was removed; its keys are refused.
	StatusRemoved = "removed"
	// StatusConflict: another user created at the same time on another
	// node kept the name; this user's keys are refused.
	StatusConflict = "conflict"
)

// nameGroup is every stored record of one name.
type nameGroup struct {
	recs []record.UserRecord
	lost map[string]string // loser access key ID -> the holder's
}

// status returns the status of r, one of the group's records.
func (g nameGroup) status(r record.UserRecord) string {
	switch {
	case r.Revoked:
		return StatusRemoved
	case g.lost[r.AccessKeyID()] != "":
		return StatusConflict
	}
	return StatusActive
}

// holder returns the active user of the name, if any.
func (g nameGroup) holder() (record.UserRecord, bool) {
	for _, r := range g.recs {
		if g.status(r) == StatusActive {
			return r, true
		}
	}
	return record.UserRecord{}, false
}

// byNameKey is the index key of accessKeyID under name.
func byNameKey(name, accessKeyID string) []byte {
	return []byte(usersByNamePrefix + name + "/" + accessKeyID)
}

// loadName reads every stored record called name in txn.
func loadName(txn *badger.Txn, name string) (nameGroup, error) {
	prefix := []byte(usersByNamePrefix + name + "/")
	it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix})
	var akids []string
	for it.Rewind(); it.Valid(); it.Next() {
		akids = append(akids, string(it.Item().Key()[len(prefix):]))
	}
	it.Close()
	var g nameGroup
	for _, akid := range akids {
		raw, found, err := kv.Get(txn, usersRecordPrefix+akid)
		if err != nil {
			return nameGroup{}, err
		}
		if !found {
			continue
		}
		r, err := record.UnmarshalUserRecord(raw)
		if err != nil {
			return nameGroup{}, fmt.Errorf("user %s: %w", akid, err)
		}
		g.recs = append(g.recs, r)
	}
	g.lost = record.NameConflicts(g.recs)
	return g, nil
}

// group reads every stored record called name.
func (u *DB) group(name string) (g nameGroup, err error) {
	err = u.db.View(func(txn *badger.Txn) error {
		g, err = loadName(txn, name)
		return err
	})
	return g, err
}

// reindex writes the name index entry of every stored record, so a data
// dir written before the index existed serves names network-wide.
func (u *DB) reindex() error {
	recs, err := u.Records(context.Background())
	if err != nil {
		return err
	}
	wb := u.db.NewWriteBatch()
	defer wb.Cancel()
	for akid, raw := range recs {
		r, err := record.UnmarshalUserRecord(raw)
		if err != nil {
			continue // List reports it
		}
		if err := wb.Set(byNameKey(r.Name, akid), nil); err != nil {
			return fmt.Errorf("index user names: %w", err)
		}
	}
	if err := wb.Flush(); err != nil {
		return fmt.Errorf("index user names: %w", err)
	}
	return nil
}
