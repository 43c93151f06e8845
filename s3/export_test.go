package s3

import "time"

// SetBodyIdleTimeout shortens how long s waits for a body byte, so that a
// test can watch a stalled upload being cut off.
func SetBodyIdleTimeout(s *Server, d time.Duration) { s.bodyIdle = d }
