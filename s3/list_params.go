package s3

import (
	"encoding/base64"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// s3TimeFormat is the timestamp format of S3 XML documents.
const s3TimeFormat = "2006-01-02T15:04:05.000Z"

// xmlTime formats t as S3 XML does: UTC with milliseconds.
func xmlTime(t time.Time) string { return t.UTC().Format(s3TimeFormat) }

// quoteETag returns etag in the double quotes S3 sends.
func quoteETag(etag string) string { return `"` + etag + `"` }

// listOwner is the Owner and Initiator element of listings.
type listOwner struct {
	ID          string `xml:"ID"`
	DisplayName string `xml:"DisplayName"`
}

// ownerOf is the owner element for u.
func ownerOf(u User) *listOwner {
	return &listOwner{ID: u.AccessKeyID, DisplayName: u.Name}
}

// listPrefix is one CommonPrefixes element.
type listPrefix struct {
	Prefix string `xml:"Prefix"`
}

// commonPrefixes converts prefixes, applying enc to each.
func commonPrefixes(prefixes []string, enc func(string) string) []listPrefix {
	out := make([]listPrefix, len(prefixes))
	for i, p := range prefixes {
		out[i] = listPrefix{Prefix: enc(p)}
	}
	return out
}

// parseMaxCount parses a max-keys, max-parts or max-uploads parameter:
// absent means 1000, larger values are clamped to 1000, negative or
// non-numeric values are InvalidArgument.
func parseMaxCount(q url.Values, name string) (int, error) {
	v, ok := q[name]
	if !ok || len(v) == 0 {
		return MaxKeysPerList, nil
	}
	n, err := strconv.ParseInt(strings.TrimSpace(v[0]), 10, 64)
	if err != nil || n < 0 {
		return 0, errorf(ErrInvalidArgument, "Provided %s not an integer or within integer range", name)
	}
	return int(min(n, MaxKeysPerList)), nil
}

// parseEncoding returns the key encoder selected by encoding-type: the
// identity, or S3's URL encoding for "url"; any other value is
// InvalidArgument.
func parseEncoding(q url.Values) (enc func(string) string, typ string, err error) {
	v := q.Get("encoding-type")
	switch {
	case v == "":
		return func(s string) string { return s }, "", nil
	case strings.EqualFold(v, "url"):
		return s3URLEncode, "url", nil
	}
	return nil, "", errorf(ErrInvalidArgument, "Invalid Encoding Method specified in Request")
}

// s3URLEncode encodes s as S3 does for encoding-type=url: unreserved
// characters and '/' stay, space becomes '+', every other byte is %XX.
// url.QueryUnescape, which the SDKs use, inverts it.
func s3URLEncode(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			c == '-', c == '_', c == '.', c == '~', c == '/':
			b.WriteByte(c)
		case c == ' ':
			b.WriteByte('+')
		default:
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
	}
	return b.String()
}

// tokenVersion prefixes every continuation token so that arbitrary base64
// strings are rejected rather than taken as keys.
const tokenVersion = "1:"

// encodeToken makes the opaque ListObjectsV2 continuation token for after.
func encodeToken(after string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(tokenVersion + after))
}

// decodeToken returns the key a continuation token resumes after.
func decodeToken(tok string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || !strings.HasPrefix(string(b), tokenVersion) {
		return "", errorf(ErrInvalidArgument, "The continuation token provided is incorrect")
	}
	return string(b[len(tokenVersion):]), nil
}
