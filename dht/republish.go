package dht

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/d3s/d3s/dht/record"
	dsq "github.com/ipfs/go-datastore/query"
	recpb "github.com/libp2p/go-libp2p-record/pb"
	"google.golang.org/protobuf/proto"
)

// republishLoop puts every record this node holds again, RepublishDelay
// after Start and then every RepublishInterval, until Close.
func (d *DHT) republishLoop() {
	timer := time.NewTimer(d.cfg.RepublishDelay)
	defer timer.Stop()
	for {
		select {
		case <-d.ctx.Done():
			return
		case <-timer.C:
		}
		n, failed := d.Republish(d.ctx)
		d.log.Info("republished records", "records", n, "failed", failed)
		timer.Reset(d.cfg.RepublishInterval)
	}
}

// Republish puts again every record this node holds: the records it has
// written or read (the seen store) and those kad-dht stored on it as one of
// the closest peers. Each is stored locally with a fresh receive time and
// sent to the peers now closest to its key, so records outlive kad-dht's
// 48 h expiry and reach nodes that joined after they were written. It
// returns how many records it put and how many puts failed.
func (d *DHT) Republish(ctx context.Context) (n, failed int) {
	for key, value := range d.held(ctx) {
		if ctx.Err() != nil {
			break
		}
		n++
		if err := d.Put(ctx, key, value); err != nil && !errors.Is(err, record.ErrStaleRecord) {
			failed++
			d.log.Debug("republish", "key", key, "err", err)
		}
	}
	return n, failed
}

// held returns the best record this node holds for each key.
func (d *DHT) held(ctx context.Context) map[string][]byte {
	out := make(map[string][]byte)
	add := func(key string, value []byte) {
		if d.validator.Validate(key, value) != nil {
			return
		}
		if old, ok := out[key]; ok {
			if i, err := d.validator.Select(key, [][]byte{old, value}); err != nil || i == 0 {
				return
			}
		}
		out[key] = value
	}
	if err := d.seen.each(add); err != nil {
		d.log.Warn("republish: read seen records", "err", err)
	}
	d.eachStored(ctx, add)
	return out
}

// eachStored calls fn with every D3S record in kad-dht's datastore.
func (d *DHT) eachStored(ctx context.Context, fn func(key string, value []byte)) {
	res, err := NewDatastore(d.cfg.DB, DatastorePrefix).Query(ctx, dsq.Query{Prefix: "/" + record.RecordNamespace})
	if err != nil {
		d.log.Warn("republish: query datastore", "err", err)
		return
	}
	defer res.Close()
	for r := range res.Next() {
		if r.Error != nil {
			d.log.Warn("republish: read datastore", "err", r.Error)
			return
		}
		rec := new(recpb.Record)
		if proto.Unmarshal(r.Value, rec) != nil || !strings.HasPrefix(string(rec.GetKey()), "/"+record.RecordNamespace+"/") {
			continue
		}
		fn(string(rec.GetKey()), rec.GetValue())
	}
}
