package node

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/d3s/d3s/node/convert"
	"io"
	"time"

	"github.com/d3s/d3s/catalog"
	"github.com/d3s/d3s/s3"
	"github.com/d3s/d3s/swarm"
)

// PutObject implements s3.ObjectStore: the bytes go to the swarm (written
// once, fsynced, digests checked in the same pass), then the catalog entry
// is committed with the conditions checked in its transaction. The new
// reference is released if anything fails after the swarm stored the
// bytes; the replaced version's reference after the commit.
func (n *Node) PutObject(ctx context.Context, u s3.User, bucket, key string, body io.Reader, opts s3.PutOptions) (s3.ObjectInfo, error) {
	check := convert.Conditions(opts.IfMatch, opts.IfNoneMatch)
	release, err := n.exclusive(ctx, u, bucket, key, check)
	if err != nil {
		return s3.ObjectInfo{}, err
	}
	defer release()
	if err := n.precheck(ctx, u, bucket, key, check); err != nil {
		return s3.ObjectInfo{}, err
	}
	obj, err := n.swarm.Put(ctx, body, opts.Size, swarm.Expect{MD5: opts.ContentMD5, SHA256: opts.ContentSHA256})
	if err != nil {
		return s3.ObjectInfo{}, toS3(err)
	}
	e := &catalog.Entry{
		Key:      key,
		InfoHash: obj.ID,
		Size:     obj.Size,
		ETag:     hex.EncodeToString(obj.MD5[:]),
		SHA256:   obj.SHA256,
		Metadata: convert.ToCatalogMeta(opts.Metadata),
	}
	if opts.Checksum != nil {
		e.Checksum = catalog.Checksum(opts.Checksum())
	}
	return n.commit(ctx, u, bucket, e, check)
}

// precheck fails fast, before any byte is stored, when the bucket is
// missing or a condition already fails; commit checks again atomically.
func (n *Node) precheck(ctx context.Context, u s3.User, bucket, key string, check catalog.Check) error {
	if err := n.cat.Refresh(ctx, u.AccessKeyID, bucket); err != nil {
		return toS3(err)
	}
	if check == nil {
		_, err := n.cat.HeadBucket(ctx, u.AccessKeyID, bucket)
		return toS3(err)
	}
	cur, err := n.cat.Get(ctx, u.AccessKeyID, bucket, key)
	if errors.Is(err, catalog.ErrNotFound) {
		cur, err = nil, nil
	}
	if err != nil {
		return toS3(err)
	}
	return check(cur)
}

// commit makes e key's current entry, releasing e's reference on failure
// and the replaced entry's on success.
func (n *Node) commit(ctx context.Context, u s3.User, bucket string, e *catalog.Entry, check catalog.Check) (s3.ObjectInfo, error) {
	replaced, err := n.cat.Put(ctx, u.AccessKeyID, bucket, e, check)
	if err != nil {
		n.ledger.Release(ctx, e.InfoHash)
		return s3.ObjectInfo{}, toS3(err)
	}
	n.collect.Retire(ctx, replaced)
	if err := n.repl.Replicate(ctx, e.InfoHash, e.Size); err != nil {
		return s3.ObjectInfo{}, unavailable(err)
	}
	return convert.ObjectInfo(e), n.acked(ctx, u, bucket)
}

// acked waits, in strong mode, until a majority of the members hold this
// node's writes to bucket ("" the bucket list) so far: the write is
// acknowledged only then (503 SlowDown after mpuWait).
func (n *Node) acked(ctx context.Context, u s3.User, bucket string) error {
	if !n.cat.Strong() {
		return nil
	}
	// 5 s, after at most 4 s of checks (a majority read): a node without
	// a majority answers within 10 s.
	wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := n.cat.AwaitPublished(wctx, u.AccessKeyID, bucket); err != nil && ctx.Err() == nil {
		return unavailable(err)
	}
	return ctx.Err()
}

// exclusive takes key's lease for a conditional write in strong mode, so
// that conditional writes on different nodes check and write one at a
// time (409 ConditionalRequestConflict when another keeps it).
func (n *Node) exclusive(ctx context.Context, u s3.User, bucket, key string, check catalog.Check) (func(), error) {
	if check == nil {
		return func() {}, nil
	}
	release, err := n.cat.Exclusive(ctx, u.AccessKeyID, bucket, key)
	return release, toS3(err)
}

// unavailable marks a failure to reach enough members as 503 SlowDown,
// which clients retry.
func unavailable(err error) error {
	return fmt.Errorf("%w: %w", s3.ErrSlowDown, err)
}

// notHere is the error for an entry whose bytes neither this node (self)
// nor any reachable holder has (cause says why): 503 SlowDown, which
// clients retry, naming the writer, rather than NoSuchKey (the key exists)
// or a bare InternalError. An entry of this node's own whose bytes are
// gone stays an InternalError: that is damage, not distribution.
func notHere(self, bucket, key string, e *catalog.Entry, cause error) error {
	if e.Writer == "" || e.Writer == self {
		return fmt.Errorf("open %s/%s: %w", bucket, key, swarm.ErrNotFound)
	}
	return fmt.Errorf("%w: object data of %s/%s (written by node %s) is not here and no holder answered (%w: %w)", s3.ErrSlowDown, bucket, key, e.Writer, ErrDataElsewhere, cause)
}

// remoteErr turns a failed remote read into the client's error: SlowDown
// when no holder answered, the caller's own cancellation as is, anything
// else (a holder that failed mid-way) as SlowDown too, since another try
// may reach another holder.
func remoteErr(self, bucket, key string, e *catalog.Entry, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return notHere(self, bucket, key, e, err)
}

// openAttempts bounds how often GetObject retries when the version it
// looked up was replaced and deleted before its bytes were opened.
const openAttempts = 3

// GetObject implements s3.ObjectStore. The reader is the swarm's, which
// returns only bytes of pieces that passed their SHA-1 check (a damaged
// piece fails the read and schedules a repair; see swarm/verify.go).
// A version whose data is not here streams from its holders (openRemote):
// verified pieces as they arrive, seekable for Range. A local copy known
// to be damaged is never read: the GET waits for its repair (openDamaged).
func (n *Node) GetObject(ctx context.Context, u s3.User, bucket, key string) (s3.ObjectInfo, io.ReadSeekCloser, error) {
	if err := n.cat.Refresh(ctx, u.AccessKeyID, bucket); err != nil {
		return s3.ObjectInfo{}, nil, toS3(err)
	}
	var err error
	for range openAttempts {
		var e *catalog.Entry
		if e, err = n.cat.Get(ctx, u.AccessKeyID, bucket, key); err != nil {
			return s3.ObjectInfo{}, nil, toS3(err)
		}
		if n.repair.Damaged(e.InfoHash) {
			if err := n.openDamaged(ctx, bucket, key, e); err != nil {
				return s3.ObjectInfo{}, nil, err
			}
		}
		var r io.ReadSeekCloser
		if r, err = n.swarm.Open(ctx, e.InfoHash); err == nil {
			return convert.ObjectInfo(e), r, nil
		}
		if !errors.Is(err, swarm.ErrNotFound) {
			return s3.ObjectInfo{}, nil, fmt.Errorf("open %s/%s: %w", bucket, key, err)
		}
		if n.ledger.HoldsData(e) {
			err = notHere(n.PeerID(), bucket, key, e, err) // replaced and released meanwhile, or damage
			continue
		}
		if r, err = n.remote.Open(ctx, e); err != nil {
			return s3.ObjectInfo{}, nil, remoteErr(n.PeerID(), bucket, key, e, err)
		}
		return convert.ObjectInfo(e), stallIsSlowDown{r}, nil
	}
	return s3.ObjectInfo{}, nil, err
}

// damagedReadWait bounds how long a GET waits for the repair of a
// damaged local copy before it answers 503 SlowDown, which clients retry.
const damagedReadWait = 30 * time.Second

// openDamaged waits until e's damaged local copy is repaired from another
// member: swarm.OpenRemote would open the stored copy, so the repaired
// one is what a GET can serve.
func (n *Node) openDamaged(ctx context.Context, bucket, key string, e *catalog.Entry) error {
	wctx, cancel := context.WithTimeout(ctx, damagedReadWait)
	defer cancel()
	err := n.repair.AwaitRepair(wctx, e.InfoHash)
	if err == nil || ctx.Err() != nil {
		return err
	}
	return fmt.Errorf("%w: object data of %s/%s is damaged on this node and not repaired yet: %w", s3.ErrSlowDown, bucket, key, err)
}

// HeadObject implements s3.ObjectStore.
func (n *Node) HeadObject(ctx context.Context, u s3.User, bucket, key string) (s3.ObjectInfo, error) {
	if err := n.cat.Refresh(ctx, u.AccessKeyID, bucket); err != nil {
		return s3.ObjectInfo{}, toS3(err)
	}
	e, err := n.cat.Get(ctx, u.AccessKeyID, bucket, key)
	if err != nil {
		return s3.ObjectInfo{}, toS3(err)
	}
	return convert.ObjectInfo(e), nil
}

// DeleteObject implements s3.ObjectStore: the entry goes first, then its
// reference, so a crash in between leaks bytes but never loses an entry's.
func (n *Node) DeleteObject(ctx context.Context, u s3.User, bucket, key string) error {
	if err := n.cat.Refresh(ctx, u.AccessKeyID, bucket); err != nil {
		return toS3(err)
	}
	removed, err := n.cat.Delete(ctx, u.AccessKeyID, bucket, key)
	if err != nil {
		return toS3(err)
	}
	n.collect.Retire(ctx, removed)
	return n.acked(ctx, u, bucket)
}
