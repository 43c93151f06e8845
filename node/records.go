package node

import (
	"context"
	"errors"
	"fmt"

	"github.com/d3s/d3s/catalog"
	"github.com/d3s/d3s/dht"
)

// dhtRecords adapts the DHT to catalog.Records.
type dhtRecords struct{ dht *dht.DHT }

var _ catalog.Records = dhtRecords{}

// GetRecord implements catalog.Records; a key without a record in the
// network or in this node's memory wraps catalog.ErrNoRecord.
func (r dhtRecords) GetRecord(ctx context.Context, key string) ([]byte, error) {
	val, err := r.dht.Get(ctx, key)
	if errors.Is(err, dht.ErrNotFound) {
		return nil, fmt.Errorf("%w: %w", catalog.ErrNoRecord, err)
	}
	return val, err
}

// PutRecord implements catalog.Records.
func (r dhtRecords) PutRecord(ctx context.Context, key string, value []byte) error {
	return r.dht.Put(ctx, key, value)
}
