package swarm

// Stats describes the swarm's state and its transfer totals.
type Stats struct {
	// Loaded is the number of torrents loaded in the engine.
	Loaded int
	// CachedObjects and CachedBytes count objects held by no reference
	// (remote reads); CacheSize is the budget they are evicted to (0 when
	// Config.CacheSize is negative: nothing is kept).
	CachedObjects int
	CachedBytes   int64
	CacheSize     int64
	// BytesDown and BytesUp are the payload bytes received from and sent
	// to peers since the swarm opened.
	BytesDown int64
	BytesUp   int64
}

// Stats returns the swarm's current Stats. The transfer totals are the
// engine's: every piece payload received (BytesDown, including chunks a
// second peer also sent) and sent (BytesUp) over all connections, past
// and present.
func (s *Swarm) Stats() Stats {
	n, bytes := s.cache.idx.Stats()
	cs := s.eng.cl.ConnStats()
	return Stats{
		Loaded:        len(s.eng.cl.Torrents()),
		CachedObjects: n,
		CachedBytes:   bytes,
		CacheSize:     s.cache.idx.Limit(),
		BytesDown:     cs.BytesReadData.Int64(),
		BytesUp:       cs.BytesWrittenData.Int64(),
	}
}
