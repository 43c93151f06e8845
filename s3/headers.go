package s3

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
)

// putOptions builds the PutOptions of a PUT or UploadPart from the request:
// size (decoded length), Content-MD5 (ErrInvalidDigest if malformed),
// signed SHA-256, metadata (ErrMetadataTooLarge), conditions and checksum.
// It also rejects what D3S cannot honour (ErrMissingContentLength,
// ErrEntityTooLarge above MaxPartSize, ErrNotImplemented for encryption,
// object lock, tagging and non-private ACL headers).
func (req *request) putOptions() (PutOptions, error) {
	h := req.r.Header
	if err := checkWriteHeaders(h); err != nil {
		return PutOptions{}, err
	}
	size := req.auth.DecodedLength
	if size < 0 {
		return PutOptions{}, ErrMissingContentLength
	}
	if size > MaxPartSize {
		return PutOptions{}, ErrEntityTooLarge
	}
	md, err := parseMetadata(h)
	if err != nil {
		return PutOptions{}, err
	}
	opts := PutOptions{Size: size, Metadata: md, ContentSHA256: req.auth.ContentSHA256}
	if opts.ContentMD5, err = parseContentMD5(h); err != nil {
		return PutOptions{}, err
	}
	if opts.IfMatch, opts.IfNoneMatch, err = writeConditions(h); err != nil {
		return PutOptions{}, err
	}
	if alg := req.auth.ChecksumAlgorithm; alg != "" {
		sum := req.auth.Checksum
		opts.Checksum = func() Checksum { return Checksum{Algorithm: alg, Value: sum()} }
	}
	return opts, nil
}

// parseContentMD5 decodes a Content-MD5 header: nil when absent,
// ErrInvalidDigest unless it is the base64 of 16 bytes.
func parseContentMD5(h http.Header) ([]byte, error) {
	v, ok := h["Content-Md5"]
	if !ok {
		return nil, nil
	}
	sum, err := base64.StdEncoding.DecodeString(strings.TrimSpace(strings.Join(v, "")))
	if err != nil || len(sum) != 16 {
		return nil, ErrInvalidDigest
	}
	return sum, nil
}

// writeConditions reads If-Match and If-None-Match of a write. S3 supports
// only "*" for If-None-Match on writes.
func writeConditions(h http.Header) (ifMatch, ifNoneMatch string, err error) {
	ifMatch = unquoteETag(h.Get("If-Match"))
	ifNoneMatch = strings.TrimSpace(h.Get("If-None-Match"))
	if ifNoneMatch != "" && ifNoneMatch != "*" {
		return "", "", errorf(ErrNotImplemented, "If-None-Match on a write supports only *.")
	}
	return ifMatch, ifNoneMatch, nil
}

// unquoteETag strips spaces, a weak prefix and the quotes of an ETag.
func unquoteETag(v string) string {
	v = strings.TrimSpace(v)
	v = strings.TrimPrefix(v, "W/")
	return strings.Trim(v, `"`)
}

// parseMetadata reads Content-Type, Content-Encoding, Content-Disposition,
// Content-Language, Cache-Control, Expires and x-amz-meta-* from h.
// ErrMetadataTooLarge when the x-amz-meta-* names and values exceed
// MaxMetadataSize bytes.
func parseMetadata(h http.Header) (Metadata, error) {
	md := Metadata{
		ContentType:        h.Get("Content-Type"),
		ContentEncoding:    stripAWSChunked(h.Get("Content-Encoding")),
		ContentDisposition: h.Get("Content-Disposition"),
		ContentLanguage:    h.Get("Content-Language"),
		CacheControl:       h.Get("Cache-Control"),
		Expires:            h.Get("Expires"),
	}
	size := 0
	for name, vals := range h {
		lower := strings.ToLower(name)
		if !strings.HasPrefix(lower, metaPrefix) {
			continue
		}
		if md.User == nil {
			md.User = make(map[string]string)
		}
		k, v := lower[len(metaPrefix):], strings.Join(vals, ",")
		md.User[k] = v
		size += len(k) + len(v)
	}
	if size > MaxMetadataSize {
		return Metadata{}, ErrMetadataTooLarge
	}
	return md, nil
}

const metaPrefix = "x-amz-meta-"

// stripAWSChunked removes the aws-chunked transfer coding, which describes
// the request framing and is not part of the object's Content-Encoding.
func stripAWSChunked(v string) string {
	if !strings.Contains(v, "aws-chunked") {
		return v
	}
	var keep []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" && p != "aws-chunked" {
			keep = append(keep, p)
		}
	}
	return strings.Join(keep, ",")
}

// parseCopySource splits an x-amz-copy-source value ("/bucket/key" or
// "bucket/key", URL-encoded, optional "?versionId=") into bucket and key.
// ErrInvalidArgument when it does not parse or names a version other than
// "null" (D3S buckets are unversioned).
func parseCopySource(v string) (bucket, key string, err error) {
	src, query, hasQuery := strings.Cut(v, "?")
	if hasQuery {
		q, qerr := url.ParseQuery(query)
		if qerr != nil {
			return "", "", errorf(ErrInvalidArgument, "Invalid copy source encoding.")
		}
		if id, ok := q["versionId"]; ok && (len(id) != 1 || id[0] != "null") {
			return "", "", errorf(ErrInvalidArgument, "Invalid version id specified")
		}
	}
	src, perr := url.PathUnescape(src)
	if perr != nil {
		return "", "", errorf(ErrInvalidArgument, "Invalid copy source encoding.")
	}
	bucket, key, _ = strings.Cut(strings.TrimPrefix(src, "/"), "/")
	if bucket == "" || key == "" {
		return "", "", errorf(ErrInvalidArgument, "Copy Source must mention the source bucket and key: sourcebucket/sourcekey.")
	}
	return bucket, key, nil
}
