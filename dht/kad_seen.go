package dht

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/dgraph-io/badger/v4"
)

// SeenPrefix prefixes, in the node's badger database, the best record this
// node has read or written for each key: its memory of the highest
// sequence seen, which it never goes back behind.
const SeenPrefix = "dht/seen/"

// seenStore remembers the best record per key.
type seenStore struct {
	db *badger.DB
}

// get returns the remembered record of key, or nil.
func (s seenStore) get(key string) ([]byte, error) {
	var val []byte
	err := s.db.View(func(txn *badger.Txn) error {
		item, err := txn.Get([]byte(SeenPrefix + key))
		if err != nil {
			return err
		}
		val, err = item.ValueCopy(nil)
		return err
	})
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load seen record %s: %w", key, err)
	}
	return val, nil
}

// remember keeps value as the record of key unless better returns false
// for it against the record already remembered, in one transaction so two
// concurrent readers cannot move the memory backwards. It returns the
// record remembered afterwards.
func (s seenStore) remember(key string, value []byte, better func(value, old []byte) bool) ([]byte, error) {
	kept := value
	err := s.db.Update(func(txn *badger.Txn) error {
		item, err := txn.Get([]byte(SeenPrefix + key))
		switch {
		case errors.Is(err, badger.ErrKeyNotFound):
		case err != nil:
			return err
		default:
			old, err := item.ValueCopy(nil)
			if err != nil {
				return err
			}
			if bytes.Equal(old, value) || !better(value, old) {
				kept = old
				return nil
			}
		}
		return txn.Set([]byte(SeenPrefix+key), value)
	})
	if err != nil {
		return nil, fmt.Errorf("remember record %s: %w", key, err)
	}
	return kept, nil
}

// each calls fn with every remembered key and record.
func (s seenStore) each(fn func(key string, value []byte)) error {
	return s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(SeenPrefix), PrefetchValues: true, PrefetchSize: 16})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			v, err := it.Item().ValueCopy(nil)
			if err != nil {
				return err
			}
			fn(string(it.Item().Key()[len(SeenPrefix):]), v)
		}
		return nil
	})
}
