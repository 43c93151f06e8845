package swarm

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/d3s/d3s/internal/fsutil"
)

// dataDir is the swarm's data directory (Config.Dir): file objects under
// obj/, uploads and downloads in progress under tmp/.
type dataDir string

func (d dataDir) tmp() string  { return filepath.Join(string(d), "tmp") }
func (d dataDir) root() string { return filepath.Join(string(d), "obj") }

// objPath is where a file object lives: obj/ab/cd/abcd…, fanned out so no
// directory grows past 65536 entries of subdirectories.
func (d dataDir) objPath(id ID) string {
	h := id.String()
	return filepath.Join(string(d), "obj", h[:2], h[2:4], h)
}

// prepare creates the data directories and removes temp files a crash
// left behind: they never became objects.
func (d dataDir) prepare() error {
	if err := os.RemoveAll(d.tmp()); err != nil {
		return fmt.Errorf("swarm: clear temp files: %w", err)
	}
	for _, dir := range []string{d.tmp(), d.root()} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("swarm: %w", err)
		}
	}
	return nil
}

// open opens a file object's file. ErrNotFound.
func (d dataDir) open(id ID) (*os.File, error) {
	f, err := os.Open(d.objPath(id))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	if err != nil {
		return nil, fmt.Errorf("swarm: open %s: %w", id, err)
	}
	return f, nil
}

// place renames tmp to dst durably, creating the fan-out directories; dst
// is removed if it cannot be made durable.
func (d dataDir) place(tmp, dst string) error {
	dir := filepath.Dir(dst)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("swarm: %w", err)
	}
	if err := os.Rename(tmp, dst); err != nil {
		return fmt.Errorf("swarm: %w", err)
	}
	if err := d.syncUp(dir); err != nil {
		os.Remove(dst)
		return fmt.Errorf("swarm: sync dir: %w", err)
	}
	return nil
}

// renameDurable renames tmp over dst and syncs the directories up to obj/
// (the fan-out levels may be new). Unlike place it never removes dst: a
// repaired file that is not yet durable is still better than none.
func (d dataDir) renameDurable(tmp, dst string) error {
	dir := filepath.Dir(dst)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := os.Rename(tmp, dst); err != nil {
		return err
	}
	if err := d.syncUp(dir); err != nil {
		return fmt.Errorf("sync dir: %w", err)
	}
	return nil
}

// syncUp syncs dir and each of its parents up to obj/.
func (d dataDir) syncUp(dir string) error {
	root := d.root()
	for d := dir; ; d = filepath.Dir(d) {
		if err := fsutil.SyncDir(d); err != nil {
			return err
		}
		if d == root || len(d) <= len(root) {
			return nil
		}
	}
}
