package catalog

// Rejoin revalidates now, in the background, every bucket and bucket list
// this node keeps fresh: the ones read within the active window and the
// ones it wrote to (watched). A node calls it when a member (re)connects,
// after a partition heals say: the other side's writes and deletes merge
// without waiting for a read or for the next verify interval, and a head
// that lost this node's writes is noticed (restoreLost) and republished at
// once. Revalidations already running are not started twice. On a
// local-only catalogue it does nothing.
func (c *Catalog) Rejoin() {
	s := c.sync.Load()
	if s == nil {
		return
	}
	keys := s.activeKeys()
	for k := range s.watchedKeys() {
		keys = append(keys, k)
	}
	for _, k := range keys {
		s.refreshIfDue(k, 0)
	}
}
