package store

import (
	"context"

	"github.com/dgraph-io/badger/v4"
)

// LoadBase returns the raw record last merged for k, nil when none.
func (s *Store) LoadBase(k Key) ([]byte, error) {
	var raw []byte
	err := s.db.View(func(txn *badger.Txn) error {
		var err error
		raw, _, err = getValue(txn, baseKey(k.User, k.Bucket))
		return err
	})
	return raw, err
}

// StoreBase records raw as the last record merged for k.
func (s *Store) StoreBase(ctx context.Context, k Key, raw []byte) error {
	return s.update(ctx, func(txn *badger.Txn) error {
		return txn.Set(baseKey(k.User, k.Bucket), raw)
	})
}
