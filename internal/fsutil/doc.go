// Package fsutil holds the durable-file helpers every D3S package that
// writes small files of its own uses: a file replaced atomically, a file
// created only if absent, and a directory whose entries are made durable.
// A crash at any point leaves either the old file or the new one, never a
// partial one.
package fsutil
