package s3

import "strings"

// ObjectCursor is a position in a store's index of one bucket's current
// object versions, sorted by key in byte order. It is what Paginate reads, so
// that every store answers listings with exactly the same S3 semantics.
//
// A store backed by an ordered key-value index (badger, a sorted slice)
// implements it with one iterator: Seek repositions it, Next reads the entry
// under it and advances. Paginate calls Seek once to start and again to jump
// over the keys of each common prefix, so a page costs O(MaxKeys) seeks and
// reads whatever the number of keys under a rolled-up prefix.
//
// A cursor that fails (a decode or I/O error) returns false from Next and
// keeps the error; its owner checks it after Paginate returns.
type ObjectCursor interface {
	// Seek moves the cursor to the first object whose key is >= from,
	// compared bytewise; from may be any byte string, including one that is
	// not a key.
	Seek(from string)
	// Next returns the object under the cursor and advances past it; false
	// when no object is left.
	Next() (ObjectInfo, bool)
}

// UploadCursor is ObjectCursor for multipart uploads in progress: it yields
// uploads ordered by (key, initiation time, upload ID), and Seek(from) moves
// to the first upload whose key is >= from.
type UploadCursor interface {
	// Seek moves the cursor to the first upload whose key is >= from.
	Seek(from string)
	// Next returns the upload under the cursor and advances past it; false
	// when no upload is left.
	Next() (UploadInfo, bool)
}

// Paginate returns the page of a listing that opts selects from the objects
// of c, with S3's rules: only keys starting with opts.Prefix; keys holding
// opts.Delimiter (any non-empty string) after the prefix are rolled up into
// one common prefix ending at the delimiter's first occurrence; entries
// strictly after opts.After, where an After inside a common prefix also skips
// that prefix (it was on an earlier page); objects and common prefixes
// together at most opts.MaxKeys (0 gives an empty, untruncated page);
// IsTruncated only when another entry exists, and NextAfter is the page's
// last key or common prefix.
func Paginate(opts ListOptions, c ObjectCursor) ListResult {
	start, ok := startAfter(opts.Prefix, opts.Delimiter, opts.After)
	p := paginate[ObjectInfo](opts.Prefix, opts.Delimiter, start, ok, opts.MaxKeys, c, objectKey)
	return ListResult{
		Objects:        p.entries,
		CommonPrefixes: p.prefixes,
		IsTruncated:    p.truncated,
		NextAfter:      p.nextAfter,
	}
}

// PaginateUploads is Paginate for ListMultipartUploads. opts.KeyMarker alone
// lists uploads of keys strictly after it; with opts.UploadIDMarker it also
// lists the uploads of KeyMarker itself that come after that upload ID (none
// if the ID is unknown). MaxUploads counts uploads and common prefixes
// together; 0 gives an empty, untruncated page. When truncated on an upload,
// NextKeyMarker and NextUploadIDMarker name it; on a common prefix,
// NextKeyMarker is the prefix and NextUploadIDMarker is empty.
func PaginateUploads(opts ListUploadsOptions, c UploadCursor) ListUploadsResult {
	start, ok := startAfter(opts.Prefix, opts.Delimiter, opts.KeyMarker)
	var cur cursor[UploadInfo] = c
	if opts.UploadIDMarker != "" && opts.KeyMarker != "" && !insidePrefix(opts.Prefix, opts.Delimiter, opts.KeyMarker) {
		start, ok = opts.KeyMarker, true
		cur = &uploadMarkerCursor{c: c, key: opts.KeyMarker, id: opts.UploadIDMarker}
	}
	p := paginate[UploadInfo](opts.Prefix, opts.Delimiter, start, ok, opts.MaxUploads, cur, uploadKey)
	res := ListUploadsResult{
		Uploads:        p.entries,
		CommonPrefixes: p.prefixes,
		IsTruncated:    p.truncated,
		NextKeyMarker:  p.nextAfter,
	}
	if p.lastWasEntry && len(p.entries) > 0 {
		res.NextUploadIDMarker = p.entries[len(p.entries)-1].UploadID
	}
	return res
}

func objectKey(o ObjectInfo) string { return o.Key }
func uploadKey(u UploadInfo) string { return u.Key }

// cursor is the shape shared by ObjectCursor and UploadCursor.
type cursor[E any] interface {
	Seek(from string)
	Next() (E, bool)
}

// page is the result of paginate before it is dressed as a ListResult.
type page[E any] struct {
	entries      []E
	prefixes     []string
	truncated    bool
	nextAfter    string
	lastWasEntry bool
}

// paginate reads c from start (nothing if !ok) and applies prefix,
// delimiter and max. Keys below start are never read.
func paginate[E any](prefix, delim, start string, ok bool, max int, c cursor[E], key func(E) string) page[E] {
	var p page[E]
	if !ok || max <= 0 {
		return p
	}
	if start < prefix {
		start = prefix
	}
	c.Seek(start)
	for {
		e, more := c.Next()
		if !more {
			return p
		}
		k := key(e)
		if !strings.HasPrefix(k, prefix) {
			return p // keys are sorted: no later key has the prefix either
		}
		if len(p.entries)+len(p.prefixes) == max {
			p.truncated = true
			return p
		}
		if cp, rolled := commonPrefix(prefix, delim, k); rolled {
			p.prefixes = append(p.prefixes, cp)
			p.nextAfter, p.lastWasEntry = cp, false
			next, ok := prefixEnd(cp)
			if !ok {
				return p
			}
			c.Seek(next)
			continue
		}
		p.entries = append(p.entries, e)
		p.nextAfter, p.lastWasEntry = k, true
	}
}

// commonPrefix reports the common prefix key rolls up into, if any.
func commonPrefix(prefix, delim, key string) (string, bool) {
	if delim == "" {
		return "", false
	}
	i := strings.Index(key[len(prefix):], delim)
	if i < 0 {
		return "", false
	}
	return key[:len(prefix)+i+len(delim)], true
}

// insidePrefix reports whether after lies inside (or is) a common prefix.
func insidePrefix(prefix, delim, after string) bool {
	if !strings.HasPrefix(after, prefix) {
		return false
	}
	_, ok := commonPrefix(prefix, delim, after)
	return ok
}

// startAfter is the first key a listing strictly after `after` may hold: the
// key's immediate successor, or the end of the common prefix holding it.
// ok is false when no key can follow.
func startAfter(prefix, delim, after string) (string, bool) {
	if after == "" {
		return "", true
	}
	if strings.HasPrefix(after, prefix) {
		if cp, ok := commonPrefix(prefix, delim, after); ok {
			return prefixEnd(cp)
		}
	}
	return after + "\x00", true
}

// prefixEnd is the smallest string greater than every string starting with
// p; ok is false if there is none (p is empty or all 0xff bytes).
func prefixEnd(p string) (string, bool) {
	b := []byte(p)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xff {
			b[i]++
			return string(b[:i+1]), true
		}
	}
	return "", false
}

// uploadMarkerCursor hides the uploads of key up to and including the
// upload id, so a listing resumes right after that upload.
type uploadMarkerCursor struct {
	c       UploadCursor
	key, id string
	passed  bool // the marker upload has been seen or key is behind us
}

func (u *uploadMarkerCursor) Seek(from string) {
	u.passed = from > u.key
	u.c.Seek(from)
}

func (u *uploadMarkerCursor) Next() (UploadInfo, bool) {
	for {
		e, ok := u.c.Next()
		if !ok || u.passed || e.Key != u.key {
			u.passed = u.passed || (ok && e.Key != u.key)
			return e, ok
		}
		if e.UploadID == u.id {
			u.passed = true
		}
	}
}
