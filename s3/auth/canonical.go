package auth

import (
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// queryPair is one decoded query parameter.
type queryPair struct{ key, value string }

// parseQuery splits a raw query into decoded pairs in wire order. A
// component with an invalid escape is kept verbatim: the signature then
// decides, exactly as for any other byte the client signed.
func parseQuery(raw string) []queryPair {
	if raw == "" {
		return nil
	}
	pairs := make([]queryPair, 0, strings.Count(raw, "&")+1)
	for part := range strings.SplitSeq(raw, "&") {
		if part == "" {
			continue
		}
		k, val, _ := strings.Cut(part, "=")
		pairs = append(pairs, queryPair{unescapeQuery(k), unescapeQuery(val)})
	}
	return pairs
}

// unescapeQuery decodes a query component ('+' is a space), falling back
// to the raw text when it is not valid percent-encoding.
func unescapeQuery(s string) string {
	if !strings.ContainsAny(s, "%+") {
		return s
	}
	u, err := url.QueryUnescape(s)
	if err != nil {
		return s
	}
	return u
}

// canonicalQuery renders pairs as the SigV4 canonical query string:
// RFC 3986 encoded, sorted by key then value, skipping the key skip.
func canonicalQuery(pairs []queryPair, skip string) string {
	enc := make([]queryPair, 0, len(pairs))
	for _, p := range pairs {
		if skip != "" && p.key == skip {
			continue
		}
		enc = append(enc, queryPair{uriEncode(p.key, true), uriEncode(p.value, true)})
	}
	sort.Slice(enc, func(i, j int) bool {
		if enc[i].key != enc[j].key {
			return enc[i].key < enc[j].key
		}
		return enc[i].value < enc[j].value
	})
	var b strings.Builder
	for i, p := range enc {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.key)
		b.WriteByte('=')
		b.WriteString(p.value)
	}
	return b.String()
}

// uriEncode percent-encodes every byte except the RFC 3986 unreserved
// characters (and '/' unless encodeSlash), with upper-case hex.
func uriEncode(s string, encodeSlash bool) string {
	const hex = "0123456789ABCDEF"
	clean := true
	for i := 0; i < len(s); i++ {
		if !unreserved(s[i]) && (encodeSlash || s[i] != '/') {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) * 3)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved(c) || (!encodeSlash && c == '/') {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

func unreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '-' || c == '_' || c == '.' || c == '~'
}

// requestPath returns the path exactly as the client sent it: S3 signs the
// escaped path without normalising or double-encoding it.
func requestPath(r *http.Request) string {
	if ru := r.RequestURI; strings.HasPrefix(ru, "/") {
		p, _, _ := strings.Cut(ru, "?")
		return p
	}
	if p := r.URL.EscapedPath(); p != "" {
		return p
	}
	return "/"
}

// requestHost is the Host the client sent (and signed).
func requestHost(r *http.Request) string {
	if r.Host != "" {
		return r.Host
	}
	return r.URL.Host
}

// headerValue returns the canonical (trimmed, whitespace-collapsed,
// comma-joined) value of the lower-case header name, taking host,
// content-length and transfer-encoding from where net/http moved them.
func headerValue(r *http.Request, name string) string {
	switch name {
	case "host":
		return requestHost(r)
	case "content-length":
		if v := r.Header.Values("Content-Length"); len(v) == 0 && r.ContentLength >= 0 {
			return strconv.FormatInt(r.ContentLength, 10)
		}
	case "transfer-encoding":
		if len(r.TransferEncoding) > 0 {
			return strings.Join(r.TransferEncoding, ",")
		}
	}
	vals := r.Header.Values(name)
	switch len(vals) {
	case 0:
		return ""
	case 1:
		return trimAll(vals[0])
	}
	out := make([]string, len(vals))
	for i, v := range vals {
		out[i] = trimAll(v)
	}
	return strings.Join(out, ",")
}

// trimAll trims a header value and collapses inner runs of spaces and
// tabs to one space.
func trimAll(s string) string {
	s = strings.Trim(s, " \t")
	if !strings.Contains(s, "  ") && !strings.Contains(s, "\t") {
		return s
	}
	return strings.Join(strings.Fields(s), " ")
}

// canonicalHeaders renders the signed headers as "name:value\n" lines.
func canonicalHeaders(r *http.Request, signed []string) string {
	var b strings.Builder
	for _, h := range signed {
		b.WriteString(h)
		b.WriteByte(':')
		b.WriteString(headerValue(r, h))
		b.WriteByte('\n')
	}
	return b.String()
}
