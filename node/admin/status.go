package admin

import "time"

// Status is the body of GET /status: what "d3sd status" shows of one
// node.
type Status struct {
	PeerID string   `json:"peer_id"`
	Addrs  []string `json:"addrs"`
	S3Addr string   `json:"s3_addr"`
	// Peers are the members this node knows (routing table and
	// connections).
	Peers []PeerStatus `json:"peers"`
	// Held counts the object versions this node must hold (it wrote them,
	// or it is one of their holders) and their bytes.
	HeldObjects int   `json:"held_objects"`
	HeldBytes   int64 `json:"held_bytes"`
	// Cached counts objects kept after remote reads, within CacheSize.
	CachedObjects int   `json:"cached_objects"`
	CachedBytes   int64 `json:"cached_bytes"`
	CacheSize     int64 `json:"cache_size"`
	// UnderReplicated is how many held versions had fewer than R copies
	// on live members at the last repair pass (LastRepair; zero before
	// the first).
	UnderReplicated int       `json:"under_replicated"`
	LastRepair      time.Time `json:"last_repair"`
	// PendingReplications is the replication tasks still queued.
	PendingReplications int `json:"pending_replications"`
	// UnpublishedBuckets counts the buckets (and bucket lists) holding
	// acknowledged writes that no published head carries yet: until
	// then only this node's disk has them.
	UnpublishedBuckets int `json:"unpublished_buckets"`
	// Consistency is the node's mode, strong or eventual; NoQuorum lists
	// (as user/bucket, "user/" for a bucket list) what its last strong
	// read or write could not reach a majority of the members for.
	Consistency string   `json:"consistency"`
	NoQuorum    []string `json:"no_quorum"`
	// Corrupt counts the stored objects found damaged (a piece failed its
	// SHA-1 on a read, a scrub, or while serving a peer) since start;
	// Repaired those whose bytes were downloaded again from other
	// members. Damaged is how many are damaged now.
	Corrupt  int `json:"corrupt"`
	Repaired int `json:"repaired"`
	Damaged  int `json:"damaged"`
	// Swarm transfer: loaded torrents, totals since start and the rates
	// over the last sampling window (3 s), in bytes per second.
	Loaded    int     `json:"loaded_torrents"`
	BytesDown int64   `json:"bytes_down"`
	BytesUp   int64   `json:"bytes_up"`
	RateDown  float64 `json:"rate_down"`
	RateUp    float64 `json:"rate_up"`
}

// PeerStatus is one known member.
type PeerStatus struct {
	ID        string   `json:"id"`
	Addrs     []string `json:"addrs"`
	Connected bool     `json:"connected"`
}
