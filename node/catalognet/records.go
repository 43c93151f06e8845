package catalognet

import (
	"context"
	"errors"
	"fmt"

	"github.com/d3s/d3s/catalog"
	"github.com/d3s/d3s/dht"
)

// Records is catalog.Records over the node's DHT: the catalogue's signed
// heads and bucket lists are DHT records.
type Records struct {
	DHT *dht.DHT
	// Alone, when set, reports whether no other member is connected while
	// other members are known: then a lookup that found nothing proves
	// nothing, and GetRecord answers ErrUnreachable instead of
	// catalog.ErrNoRecord (a bucket never merged here is not taken to be
	// empty).
	Alone func() bool
}

var _ catalog.Records = Records{}

// GetRecord implements catalog.Records; a key without a record in the
// network or in this node's memory wraps catalog.ErrNoRecord, unless no
// member could be asked (Alone): ErrUnreachable.
func (r Records) GetRecord(ctx context.Context, key string) ([]byte, error) {
	val, err := r.DHT.Get(ctx, key)
	if errors.Is(err, dht.ErrNotFound) && r.Alone != nil && r.Alone() {
		return nil, fmt.Errorf("%w: %w", ErrUnreachable, err)
	}
	if errors.Is(err, dht.ErrNotFound) {
		return nil, fmt.Errorf("%w: %w", catalog.ErrNoRecord, err)
	}
	return val, err
}

// PutRecord implements catalog.Records: the DHT validates the record
// and stores it with the closest peers (dht.DHT.Put).
func (r Records) PutRecord(ctx context.Context, key string, value []byte) error {
	return r.DHT.Put(ctx, key, value)
}
