package s3

import (
	"net/http"
	"strings"
	"time"
)

// conditionHeaders names the four conditional headers of one family: a
// GET's own, or CopyObject's x-amz-copy-source-if-* for its source.
type conditionHeaders struct {
	ifMatch, ifNoneMatch, ifModifiedSince, ifUnmodifiedSince string
}

var (
	getConditions = conditionHeaders{
		"If-Match", "If-None-Match", "If-Modified-Since", "If-Unmodified-Since"}
	copyConditions = conditionHeaders{
		"X-Amz-Copy-Source-If-Match", "X-Amz-Copy-Source-If-None-Match",
		"X-Amz-Copy-Source-If-Modified-Since", "X-Amz-Copy-Source-If-Unmodified-Since"}
)

// checkConditions evaluates the conditional headers of hs in h against
// info with RFC 9110 13.2.2 precedence: If-Match, else If-Unmodified-Since
// (ErrPreconditionFailed); then If-None-Match, else If-Modified-Since
// (notModified: ErrNotModified for GET and HEAD, ErrPreconditionFailed for
// a copy source, as S3 does).
func checkConditions(h http.Header, hs conditionHeaders, info ObjectInfo, notModified Code) error {
	lm := info.LastModified.Truncate(time.Second)
	if v := h.Get(hs.ifMatch); v != "" {
		if !etagMatches(v, info.ETag) {
			return ErrPreconditionFailed
		}
	} else if t, ok := parseHTTPTime(h.Get(hs.ifUnmodifiedSince)); ok && lm.After(t) {
		return ErrPreconditionFailed
	}
	if v := h.Get(hs.ifNoneMatch); v != "" {
		if etagMatches(v, info.ETag) {
			return notModified
		}
	} else if t, ok := parseHTTPTime(h.Get(hs.ifModifiedSince)); ok && !lm.After(t) {
		return notModified
	}
	return nil
}

// etagMatches reports whether list, an If-Match style list of entity tags
// or "*", names etag. Weak tags compare by their opaque value, as S3 does.
func etagMatches(list, etag string) bool {
	for _, t := range strings.Split(list, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || unquoteETag(t) == etag {
			return true
		}
	}
	return false
}

// parseHTTPTime parses an HTTP date; a malformed date is ignored (RFC 9110).
func parseHTTPTime(v string) (time.Time, bool) {
	if v == "" {
		return time.Time{}, false
	}
	t, err := http.ParseTime(v)
	return t, err == nil
}
