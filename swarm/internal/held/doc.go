// Package held is the engine's storage of a loaded torrent whose object
// is stored (held or cached): pieces served from the object's bytes
// through a verified.Source, read-only.
//
// Every piece starts unchecked; the first read of a piece reads and
// hashes all of it, and the result holds while the torrent stays loaded,
// so a piece is hashed once per load however many peers fetch it. A
// damaged piece is never sent: its read fails with an error wrapping
// verified.ErrCorrupt and Completion reports it incomplete from then on.
// Completion reports every other piece complete without reading it:
// checking there would read the whole object when the torrent loads.
package held
