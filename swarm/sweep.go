package swarm

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
)

// sweepOrphans removes object files that have no committed record. A crash
// between Release committing a deletion and removing the file, or between
// placing a file and committing its record, leaves such a file: it was
// never (or is no longer) an object, so no reader can reach it. Each ID is
// checked under its lock, which commitFile and Release hold while they
// create or delete that ID's data, so a concurrent Put is never swept.
func (s *Swarm) sweepOrphans(ctx context.Context) (removed int, err error) {
	root := s.data.root()
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || ctx.Err() != nil {
			return errors.Join(err, ctx.Err())
		}
		if d.IsDir() {
			return nil
		}
		id, perr := ParseID(d.Name())
		if perr != nil {
			return nil // not ours: leave it
		}
		if s.removeIfOrphan(id, path) {
			removed++
		}
		return nil
	})
	if removed > 0 {
		s.log.Info("removed orphaned object files", "count", removed)
	}
	return removed, err
}

// removeIfOrphan deletes path when id has no record.
func (s *Swarm) removeIfOrphan(id ID, path string) bool {
	mu := &s.locks[id[0]]
	mu.Lock()
	defer mu.Unlock()
	if _, err := s.record(id); !errors.Is(err, ErrNotFound) {
		return false
	}
	return os.Remove(path) == nil
}
