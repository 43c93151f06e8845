package node

import (
	"context"
	"errors"
	"time"

	"github.com/d3s/d3s/internal/kv"

	"github.com/dgraph-io/badger/v4"

	"github.com/d3s/d3s/catalog"
	"github.com/d3s/d3s/swarm"
)

// Walking the held objects in batches: a node may hold 100 000 objects
// and more, so neither the replica index nor the catalogue is loaded
// whole; each batch is read in a short transaction and processed before
// the next is read.
const (
	// repairBatch is how many held objects one batch holds: one have
	// request per holder per batch (maxHaveIDs bounds a request).
	repairBatch = 1024
	// ownScanLimit bounds the entries one catalogue read scans looking
	// for this node's own versions, so a bucket of other nodes' versions
	// does not hold a transaction open.
	ownScanLimit = 8 * repairBatch
)

// heldItem is one object version this node holds, as a repair or scrub
// pass sees it.
type heldItem struct {
	id swarm.ID
	// replica: this node holds a replica reference (replica index).
	replica bool
	// recorded is when the replica reference was recorded (walkReplicas
	// only; the zero time for one recorded before the index kept it).
	recorded time.Time
	// own are this node's own versions with these bytes whose reference
	// it still holds (not handed over).
	own []ownedVersion
}

// ownedVersion is one of this node's own versions and where it lives.
type ownedVersion struct {
	user, bucket string
	e            catalog.Entry
}

// walkHeld calls fn with batches of the objects this node holds: first
// every replica (replica index), then the versions it wrote and still
// holds (every bucket of every user it knows). An infohash both
// replicated and written here comes in both; fn sees each batch once.
func (n *Node) walkHeld(ctx context.Context, fn func([]heldItem) error) error {
	if err := n.walkReplicas(ctx, fn); err != nil {
		return err
	}
	return n.walkOwn(ctx, fn)
}

// walkReplicas calls fn with the replica index in batches.
func (n *Node) walkReplicas(ctx context.Context, fn func([]heldItem) error) error {
	var after []byte
	for {
		items, last, err := n.replicaBatch(after)
		if err != nil {
			return err
		}
		if len(items) == 0 {
			return nil
		}
		if err := fn(items); err != nil {
			return err
		}
		if err := ctx.Err(); err != nil || len(items) < repairBatch {
			return err
		}
		after = last
	}
}

// replicaBatch reads up to repairBatch replica index entries after key
// after (from the start when nil) and returns them and the last key.
func (n *Node) replicaBatch(after []byte) (items []heldItem, last []byte, err error) {
	err = n.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(replicaIndexPrefix), PrefetchValues: true})
		defer it.Close()
		it.Rewind()
		if after != nil {
			it.Seek(after)
		}
		for ; it.Valid() && len(items) < repairBatch; it.Next() {
			k := it.Item().Key()
			if after != nil && string(k) == string(after) {
				continue
			}
			id, err := swarm.ParseID(string(k[len(replicaIndexPrefix):]))
			if err != nil {
				continue
			}
			val, err := it.Item().ValueCopy(nil)
			if err != nil {
				return err
			}
			items = append(items, heldItem{id: id, replica: true, recorded: replicaTime(val)})
			last = append([]byte(nil), k...)
		}
		return nil
	})
	return items, last, err
}

// walkOwn calls fn with this node's own held versions in batches,
// grouped by infohash within a batch.
func (n *Node) walkOwn(ctx context.Context, fn func([]heldItem) error) error {
	users, err := n.users.List(ctx)
	if err != nil {
		return err
	}
	var batch []ownedVersion
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		items, err := n.groupOwn(batch)
		batch = nil
		if err != nil {
			return err
		}
		return fn(items)
	}
	for _, u := range users {
		buckets, err := n.cat.ListBuckets(ctx, u.AccessKeyID)
		if err != nil {
			return err
		}
		for _, b := range buckets {
			for after, done := "", false; !done; {
				var found []ownedVersion
				found, after, done, err = n.ownBatch(ctx, u.AccessKeyID, b.Name, after)
				if err != nil {
					return err
				}
				if batch = append(batch, found...); len(batch) >= repairBatch {
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
func (n *Node) ownBatch(ctx context.Context, user, bucket, after string) (found []ownedVersion, next string, done bool, err error) {
	it, err := n.cat.Objects(ctx, user, bucket, "")
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
		if n.ownEntry(e) {
			found = append(found, ownedVersion{user: user, bucket: bucket, e: *e})
		}
	}
	return found, "", true, it.Err()
}

// groupOwn turns own versions into held items, one per infohash, leaving
// out the versions handed over and noting which infohashes are replicas
// too.
func (n *Node) groupOwn(vs []ownedVersion) ([]heldItem, error) {
	var items []heldItem
	index := make(map[swarm.ID]int)
	err := n.db.View(func(txn *badger.Txn) error {
		for _, v := range vs {
			if _, err := txn.Get(handedKey(&v.e)); err == nil {
				continue
			} else if !errors.Is(err, badger.ErrKeyNotFound) {
				return err
			}
			id := swarm.ID(v.e.InfoHash)
			i, ok := index[id]
			if !ok {
				_, replica, err := kv.Get(txn, replicaIndexKey(id))
				if err != nil {
					return err
				}
				i = len(items)
				index[id] = i
				items = append(items, heldItem{id: id, replica: replica})
			}
			items[i].own = append(items[i].own, v)
		}
		return nil
	})
	return items, err
}
