// Package layout reads one object whose bytes lie in several places, in
// order: the files and inline values of a Concat object's parts (resolved
// recursively by the swarm, which owns the records), or the single file or
// value of any other object.
//
// A Reader is an io.ReaderAt over the whole object, so the one-pass hash
// of a Concat and the verified reads of its pieces see one stream of
// bytes; a piece may span two parts. It copies nothing and holds the
// parts' files open until Close.
package layout
