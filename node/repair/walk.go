package repair

import (
	"context"
	"errors"
	"time"

	"github.com/d3s/d3s/catalog"
	"github.com/d3s/d3s/swarm"
)

// Walking the held objects in batches: a node may hold 100 000 objects
// and more, so neither the replica index nor the catalogue is loaded
// whole; each batch is read in a short transaction and processed before
// the next is read.
const (
	// batchSize is how many held objects one batch holds: one have
	// request per holder per batch (maxHaveIDs bounds a request).
	batchSize = 1024
	// ownScanLimit bounds the entries one catalogue read scans looking
	// for this node's own versions, so a bucket of other nodes' versions
	// does not hold a transaction open.
	ownScanLimit = 8 * batchSize
)

// Item is one object version this node holds, as a repair or scrub pass
// sees it.
type Item struct {
	ID swarm.ID
	// Replica: this node holds a replica reference (replica index).
	Replica bool
	// Recorded is when the replica reference was recorded (replicas
	// only; the zero time for one recorded before the index kept it).
	Recorded time.Time
	// Own are this node's own versions with these bytes whose reference
	// it still holds (not handed over).
	Own []OwnedVersion
}

// OwnedVersion is one of this node's own versions and where it lives.
type OwnedVersion struct {
	User, Bucket string
	Entry        catalog.Entry
}

// Walk calls fn with batches of the objects this node holds: first
// every replica (replica index), then the versions it wrote and still
// holds (every bucket of every user it knows). An infohash both
// replicated and written here comes in both; fn sees each batch once.
func (r *Repairer) Walk(ctx context.Context, fn func([]Item) error) error {
	if err := r.walkReplicas(ctx, fn); err != nil {
		return err
	}
	return r.walkOwn(ctx, fn)
}

// walkReplicas calls fn with the replica index in batches.
func (r *Repairer) walkReplicas(ctx context.Context, fn func([]Item) error) error {
	var after []byte
	for {
		reps, last, err := r.ledger.ReplicaBatch(after, batchSize)
		if err != nil {
			return err
		}
		if len(reps) == 0 {
			return nil
		}
		items := make([]Item, len(reps))
		for i, rep := range reps {
			items[i] = Item{ID: rep.ID, Replica: true, Recorded: rep.Recorded}
		}
		if err := fn(items); err != nil {
			return err
		}
		if err := ctx.Err(); err != nil || len(items) < batchSize {
			return err
		}
		after = last
	}
}

// walkOwn calls fn with this node's own held versions in batches,
// grouped by infohash within a batch.
func (r *Repairer) walkOwn(ctx context.Context, fn func([]Item) error) error {
	users, err := r.users(ctx)
	if err != nil {
		return err
	}
	var batch []OwnedVersion
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		items, err := r.groupOwn(batch)
		batch = nil
		if err != nil {
			return err
		}
		return fn(items)
	}
	for _, user := range users {
		buckets, err := r.cat.ListBuckets(ctx, user)
		if err != nil {
			return err
		}
		for _, b := range buckets {
			for after, done := "", false; !done; {
				var found []OwnedVersion
				found, after, done, err = r.ownBatch(ctx, user, b.Name, after)
				if err != nil {
					return err
				}
				if batch = append(batch, found...); len(batch) >= batchSize {
					if err := flush(); err != nil {
						return err
					}
				}
			}
		}
	}
	return flush()
}

// ownBatch scans up to ownScanLimit entries of bucket from key after and
// returns this node's own held versions among them, the key to go on
// from, and whether the bucket is done.
func (r *Repairer) ownBatch(ctx context.Context, user, bucket, after string) (found []OwnedVersion, next string, done bool, err error) {
	it, err := r.cat.Refs(ctx, user, bucket)
	if errors.Is(err, catalog.ErrNoSuchBucket) {
		return nil, "", true, nil // deleted meanwhile
	}
	if err != nil {
		return nil, "", false, err
	}
	defer it.Close()
	it.Seek(after)
	scanned := 0
	for it.Next() {
		e := it.Entry()
		if scanned++; scanned > ownScanLimit {
			return found, e.Key, false, nil
		}
		if r.ledger.Own(e) {
			found = append(found, OwnedVersion{User: user, Bucket: bucket, Entry: *e})
		}
	}
	return found, "", true, it.Err()
}

// groupOwn turns own versions into held items, one per infohash, leaving
// out the versions handed over and noting which infohashes are replicas
// too.
func (r *Repairer) groupOwn(vs []OwnedVersion) ([]Item, error) {
	entries := make([]catalog.Entry, len(vs))
	for i, v := range vs {
		entries[i] = v.Entry
	}
	handed, replica, err := r.ledger.OwnState(entries)
	if err != nil {
		return nil, err
	}
	var items []Item
	index := make(map[swarm.ID]int)
	for i, v := range vs {
		if handed[i] {
			continue
		}
		id := swarm.ID(v.Entry.InfoHash)
		j, ok := index[id]
		if !ok {
			j = len(items)
			index[id] = j
			items = append(items, Item{ID: id, Replica: replica[i]})
		}
		items[j].Own = append(items[j].Own, v)
	}
	return items, nil
}
