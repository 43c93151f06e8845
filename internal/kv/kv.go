package kv

import (
	"errors"

	"github.com/dgraph-io/badger/v4"
)

// Get returns a copy of key's value in txn, or found=false when the key
// is absent.
func Get(txn *badger.Txn, key string) (val []byte, found bool, err error) {
	item, err := txn.Get([]byte(key))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	val, err = item.ValueCopy(nil)
	return val, err == nil, err
}
