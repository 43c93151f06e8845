package swarm

// Stats describes the swarm's state and its transfer totals.
type Stats struct {
	// Loaded is the number of torrents loaded in the engine.
	Loaded int
	// CachedObjects and CachedBytes count objects held by no reference
	// (remote reads); CacheSize is the budget they are evicted to.
	CachedObjects int
	CachedBytes   int64
	CacheSize     int64
	// BytesDown and BytesUp are the payload bytes received from and sent
	// to peers since the swarm opened.
	BytesDown int64
	BytesUp   int64
}

// Stats returns the swarm's current Stats.
func (s *Swarm) Stats() Stats {
	return Stats{} // TODO(H2)
}
