// Package replicate makes every object version reach its holders and
// keeps the copies other members push here.
//
// After a PUT, COPY or Complete the writer queues a task per holder other
// than itself in badger (repl/<infohash hex>/<peer ID>, one synced write),
// then asks each over Protocol (/d3s/replicate/1.0.0: infohash, size,
// metainfo, the swarm peer names to fetch from, and the bytes themselves
// for objects up to 1 MiB); the holder calls swarm.Fetch (or stores the
// inline bytes, which content addressing checks), records one replica
// reference in the ledger and answers once the copy is durable.
// Replicate waits for the node's SyncReplicas copies (default 2, the
// writer's included, capped by the copies possible; else ErrTooFewCopies,
// which S3 clients see as 503 SlowDown); the other tasks go on in the
// background, and a retry loop re-runs failed ones with exponential
// backoff, across restarts, at most 16 background tasks at once. A task
// leaves the queue only when its holder confirmed the copy, when the
// object is no longer held here, or when its holder is no longer one of
// the version's live holders (the repair loop routes the copy to whoever
// is).
//
// Idle torrents: serving a replicate or meta request loads the object as
// a torrent (Seed); the replicator remembers until when it must stay
// loaded (Config.SeedIdle, default 2 min, plus a second per MiB of the
// object so a slow download is not cut off) and a loop unloads it
// afterwards (swarm.Unseed; the bytes stay). The next request loads it
// again, so idle objects cost no engine memory.
package replicate
