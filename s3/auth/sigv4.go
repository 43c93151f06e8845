package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"time"
)

const (
	algoV4          = "AWS4-HMAC-SHA256"
	iso8601         = "20060102T150405Z"
	emptySHA256     = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	unsignedPayload = "UNSIGNED-PAYLOAD"
	// The streaming x-amz-content-sha256 values (aws-chunked bodies).
	streamingSigned          = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
	streamingSignedTrailer   = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
	streamingUnsignedTrailer = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
	streamingECDSAPrefix     = "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD"
)

// credScope is the Credential of a SigV4 signature.
type credScope struct {
	accessKey, date, region, service string
}

// String is the scope as it appears in the string to sign.
func (c credScope) String() string {
	return c.date + "/" + c.region + "/" + c.service + "/aws4_request"
}

// parseCredential parses "AK/yyyymmdd/region/s3/aws4_request".
func parseCredential(s string) (credScope, bool) {
	parts := strings.Split(s, "/")
	if len(parts) != 5 || parts[0] == "" || parts[2] == "" ||
		parts[3] != "s3" || parts[4] != "aws4_request" || !isDate(parts[1]) {
		return credScope{}, false
	}
	return credScope{parts[0], parts[1], parts[2], parts[3]}, true
}

func isDate(s string) bool {
	if len(s) != 8 {
		return false
	}
	_, err := time.Parse("20060102", s)
	return err == nil
}

// v4Auth is a parsed SigV4 Authorization header (or presigned query).
type v4Auth struct {
	cred          credScope
	signedHeaders []string
	signature     []byte // 32 raw bytes
}

// parseAuthorizationV4 parses "AWS4-HMAC-SHA256 Credential=..,
// SignedHeaders=.., Signature=..". Failures wrap ErrHeaderMalformed.
func parseAuthorizationV4(h string) (v4Auth, error) {
	rest, ok := strings.CutPrefix(h, algoV4+" ")
	if !ok {
		return v4Auth{}, fmt.Errorf("algorithm: %w", ErrHeaderMalformed)
	}
	var cred, signed, sig string
	for field := range strings.SplitSeq(rest, ",") {
		k, val, ok := strings.Cut(strings.TrimSpace(field), "=")
		var dst *string
		switch k {
		case "Credential":
			dst = &cred
		case "SignedHeaders":
			dst = &signed
		case "Signature":
			dst = &sig
		}
		if !ok || dst == nil || *dst != "" {
			return v4Auth{}, fmt.Errorf("field %.40q: %w", field, ErrHeaderMalformed)
		}
		*dst = val
	}
	a, err := newV4Auth(cred, signed, sig)
	if err != nil {
		return v4Auth{}, fmt.Errorf("%w: %w", err, ErrHeaderMalformed)
	}
	return a, nil
}

// newV4Auth validates the three signature components.
func newV4Auth(cred, signed, sig string) (v4Auth, error) {
	c, ok := parseCredential(cred)
	if !ok {
		return v4Auth{}, fmt.Errorf("credential scope %.80q", cred)
	}
	headers, ok := parseSignedHeaders(signed)
	if !ok {
		return v4Auth{}, fmt.Errorf("signed headers %.80q", signed)
	}
	raw, err := hex.DecodeString(sig)
	if err != nil || len(raw) != sha256.Size {
		return v4Auth{}, fmt.Errorf("signature %.80q", sig)
	}
	return v4Auth{cred: c, signedHeaders: headers, signature: raw}, nil
}

// parseSignedHeaders splits "host;x-amz-date" and insists on lower-case
// names that include host.
func parseSignedHeaders(s string) ([]string, bool) {
	if s == "" {
		return nil, false
	}
	hs := strings.Split(s, ";")
	host := false
	for _, h := range hs {
		if h == "" || strings.ToLower(h) != h {
			return nil, false
		}
		host = host || h == "host"
	}
	return hs, host
}

// payloadHash classifies an x-amz-content-sha256 value, returning the
// decoded digest for a hex value.
func payloadHash(v string) ([]byte, error) {
	switch v {
	case unsignedPayload, streamingSigned, streamingSignedTrailer, streamingUnsignedTrailer:
		return nil, nil
	case "":
		return nil, ErrMissingContentSHA256
	}
	if strings.HasPrefix(v, streamingECDSAPrefix) {
		return nil, fmt.Errorf("payload %s: %w", v, ErrUnsupported)
	}
	raw, err := hex.DecodeString(v)
	if err != nil || len(raw) != sha256.Size {
		return nil, fmt.Errorf("payload hash %.80q: %w", v, ErrContentSHA256Mismatch)
	}
	return raw, nil
}

// requestDate returns the SigV4 timestamp of r from x-amz-date, else Date.
func requestDate(r *http.Request) (time.Time, error) {
	if v := r.Header.Get("X-Amz-Date"); v != "" {
		t, err := time.Parse(iso8601, v)
		if err != nil {
			return time.Time{}, fmt.Errorf("x-amz-date %.40q: %w", v, ErrMissingDate)
		}
		return t, nil
	}
	if v := r.Header.Get("Date"); v != "" {
		return parseHTTPDate(v)
	}
	return time.Time{}, ErrMissingDate
}

// parseHTTPDate accepts the HTTP date formats plus RFC 1123 with a
// numeric zone, which SigV2 clients use.
func parseHTTPDate(v string) (time.Time, error) {
	if t, err := http.ParseTime(v); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC1123Z, v); err == nil {
		return t, nil
	}
	if t, err := time.Parse(iso8601, v); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("date %.40q: %w", v, ErrMissingDate)
}

// checkSignedHeaders enforces S3's rule that host and every x-amz-*
// header present be signed, so nothing can be added to a captured request.
func checkSignedHeaders(r *http.Request, signed []string) error {
	for name := range r.Header {
		if len(name) < 6 || !strings.EqualFold(name[:6], "x-amz-") {
			continue
		}
		lname := strings.ToLower(name)
		found := false
		for _, s := range signed {
			if s == lname {
				found = true
				break
			}
		}
		if !found {
			return fmt.Errorf("%s: %w", lname, ErrHeadersNotSigned)
		}
	}
	return nil
}

// v4Signature computes the SigV4 signature of r (raw bytes).
func v4Signature(key []byte, r *http.Request, signed []string, query, payload, amzDate, scope string) []byte {
	var b strings.Builder
	b.Grow(512)
	b.WriteString(r.Method)
	b.WriteByte('\n')
	b.WriteString(requestPath(r))
	b.WriteByte('\n')
	b.WriteString(query)
	b.WriteByte('\n')
	b.WriteString(canonicalHeaders(r, signed))
	b.WriteByte('\n')
	b.WriteString(strings.Join(signed, ";"))
	b.WriteByte('\n')
	b.WriteString(payload)
	sum := sha256.Sum256([]byte(b.String()))
	sts := algoV4 + "\n" + amzDate + "\n" + scope + "\n" + hex.EncodeToString(sum[:])
	return hmacSHA256(key, sts)
}

// verifyV4Header authenticates a request signed in the Authorization header.
func (v *Verifier) verifyV4Header(r *http.Request, authz string) (*Result, error) {
	a, err := parseAuthorizationV4(authz)
	if err != nil {
		return nil, err
	}
	t, err := requestDate(r)
	if err != nil {
		return nil, err
	}
	amzDate := t.UTC().Format(iso8601)
	if amzDate[:8] != a.cred.date {
		return nil, fmt.Errorf("credential date %s is not the request date %s: %w", a.cred.date, amzDate, ErrHeaderMalformed)
	}
	if v.skewed(t) {
		return nil, ErrRequestTimeTooSkewed
	}
	payload := r.Header.Get("X-Amz-Content-Sha256")
	sha, err := payloadHash(payload)
	if err != nil {
		return nil, err
	}
	if err := checkSignedHeaders(r, a.signedHeaders); err != nil {
		return nil, err
	}
	secret, owner, err := v.secret(r.Context(), a.cred.accessKey)
	if err != nil {
		return nil, err
	}
	key := v.keys.get(secret, a.cred.date, a.cred.region, a.cred.service)
	query := canonicalQuery(parseQuery(r.URL.RawQuery), "")
	sig := v4Signature(key, r, a.signedHeaders, query, payload, amzDate, a.cred.String())
	if !hmac.Equal(sig, a.signature) {
		return nil, ErrSignatureDoesNotMatch
	}
	st := &streamState{key: key, amzDate: amzDate, scope: a.cred.String(), seed: hex.EncodeToString(sig)}
	return v.result(r, a.cred.accessKey, owner, payload, sha, st)
}
