package auth

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// v2SubResources are the query parameters that belong to the SigV2
// canonical resource, sorted.
var v2SubResources = []string{
	"acl", "cors", "delete", "encryption", "legal-hold", "lifecycle", "location",
	"logging", "notification", "partNumber", "policy", "replication", "requestPayment",
	"response-cache-control", "response-content-disposition", "response-content-encoding",
	"response-content-language", "response-content-type", "response-expires", "retention",
	"select", "select-type", "tagging", "torrent", "uploadId", "uploads", "versionId",
	"versioning", "versions", "website",
}

// parseAuthorizationV2 parses "AWS AKID:signature": ErrHeaderMalformed.
func parseAuthorizationV2(h string) (accessKey, sig string, err error) {
	rest, ok := strings.CutPrefix(h, "AWS ")
	if !ok {
		return "", "", ErrHeaderMalformed
	}
	accessKey, sig, ok = strings.Cut(strings.TrimSpace(rest), ":")
	if !ok || accessKey == "" || sig == "" || strings.ContainsAny(accessKey, " \t") {
		return "", "", fmt.Errorf("%.60q: %w", h, ErrHeaderMalformed)
	}
	return accessKey, sig, nil
}

// verifyV2Header authenticates "Authorization: AWS AKID:sig".
func (v *Verifier) verifyV2Header(r *http.Request, authz string) (*Result, error) {
	accessKey, sig, err := parseAuthorizationV2(authz)
	if err != nil {
		return nil, err
	}
	dateLine := r.Header.Get("Date")
	ts := dateLine
	if x := r.Header.Get("X-Amz-Date"); x != "" {
		ts, dateLine = x, ""
	}
	if ts == "" {
		return nil, ErrMissingDate
	}
	t, err := parseHTTPDate(ts)
	if err != nil {
		return nil, err
	}
	if v.skewed(t) {
		return nil, ErrRequestTimeTooSkewed
	}
	return v.checkV2(r, accessKey, sig, dateLine)
}

// verifyV2Query authenticates a SigV2 presigned URL.
func (v *Verifier) verifyV2Query(r *http.Request) (*Result, error) {
	pairs := parseQuery(r.URL.RawQuery)
	q, ok := singleValues(pairs, "AWSAccessKeyId", "Expires", "Signature")
	if !ok || q["AWSAccessKeyId"] == "" || q["Signature"] == "" || q["Expires"] == "" {
		return nil, fmt.Errorf("AWSAccessKeyId, Expires and Signature required once: %w", ErrQueryMalformed)
	}
	exp, err := strconv.ParseInt(q["Expires"], 10, 64)
	if err != nil {
		return nil, fmt.Errorf("Expires %.30q: %w", q["Expires"], ErrQueryMalformed)
	}
	if v.opts.Now().Unix() > exp {
		return nil, ErrExpired
	}
	return v.checkV2(r, q["AWSAccessKeyId"], rawSignatureV2(r.URL.RawQuery, q["Signature"]), q["Expires"])
}

// rawSignatureV2 decodes the Signature parameter without turning '+'
// into a space: base64 has '+', and not every client escapes it.
func rawSignatureV2(raw, decoded string) string {
	for part := range strings.SplitSeq(raw, "&") {
		if v, ok := strings.CutPrefix(part, "Signature="); ok {
			if s, err := url.PathUnescape(v); err == nil {
				return s
			}
		}
	}
	return decoded
}

// checkV2 compares sig with the SigV2 signature of r.
func (v *Verifier) checkV2(r *http.Request, accessKey, sig, dateLine string) (*Result, error) {
	secret, owner, err := v.secret(r.Context(), accessKey)
	if err != nil {
		return nil, err
	}
	m := hmac.New(sha1.New, []byte(secret))
	m.Write([]byte(v.stringToSignV2(r, dateLine)))
	want := base64.StdEncoding.EncodeToString(m.Sum(nil))
	if subtle.ConstantTimeCompare([]byte(want), []byte(sig)) != 1 {
		return nil, ErrSignatureDoesNotMatch
	}
	return v.result(r, accessKey, owner, "", nil, nil)
}

// stringToSignV2 is Method, Content-MD5, Content-Type, the date line, the
// canonical x-amz-* headers and the canonical resource.
func (v *Verifier) stringToSignV2(r *http.Request, dateLine string) string {
	var b strings.Builder
	b.WriteString(r.Method + "\n")
	b.WriteString(r.Header.Get("Content-Md5") + "\n")
	b.WriteString(r.Header.Get("Content-Type") + "\n")
	b.WriteString(dateLine + "\n")
	writeAmzHeadersV2(&b, r.Header)
	b.WriteString(v.resourceV2(r))
	return b.String()
}

// writeAmzHeadersV2 writes the x-amz-* headers, lower-cased and sorted.
func writeAmzHeadersV2(b *strings.Builder, h http.Header) {
	var names []string
	for k := range h {
		if lk := strings.ToLower(k); strings.HasPrefix(lk, "x-amz-") {
			names = append(names, k)
		}
	}
	sort.Slice(names, func(i, j int) bool { return strings.ToLower(names[i]) < strings.ToLower(names[j]) })
	for _, k := range names {
		vals := make([]string, len(h[k]))
		for i, val := range h[k] {
			vals[i] = trimAll(val)
		}
		b.WriteString(strings.ToLower(k) + ":" + strings.Join(vals, ",") + "\n")
	}
}

// resourceV2 is "/bucket/key" plus the sub-resources.
func (v *Verifier) resourceV2(r *http.Request) string {
	res := requestPath(r)
	if bucket := v.virtualBucket(r); bucket != "" {
		res = "/" + bucket + res
	}
	pairs := parseQuery(r.URL.RawQuery)
	sep := byte('?')
	var b strings.Builder
	b.WriteString(res)
	for _, name := range v2SubResources {
		for _, p := range pairs {
			if p.key != name {
				continue
			}
			b.WriteByte(sep)
			sep = '&'
			b.WriteString(name)
			if p.value != "" {
				b.WriteString("=" + p.value)
			}
			break
		}
	}
	return b.String()
}

// virtualBucket returns the bucket of a virtual-hosted-style request
// (Host = bucket.Domain), or "".
func (v *Verifier) virtualBucket(r *http.Request) string {
	if v.opts.Domain == "" {
		return ""
	}
	host := requestHost(r)
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.ToLower(host)
	bucket, ok := strings.CutSuffix(host, "."+strings.ToLower(v.opts.Domain))
	if !ok || bucket == "" {
		return ""
	}
	return bucket
}
