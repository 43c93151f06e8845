//go:build !linux

package pageout

// selfMappings: outside Linux there is no /proc/self/maps and no
// MADV_PAGEOUT; the database's pages stay resident.
func selfMappings() ([]mapping, error) { return nil, errPageOutUnsupported }

// pageOut is never reached outside Linux (selfMappings fails first).
func pageOut(start, length uintptr) error { return errPageOutUnsupported }
