package auth

import (
	"crypto/hmac"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// maxPresignExpiry is S3's limit on X-Amz-Expires: seven days.
const maxPresignExpiry = 7 * 24 * 60 * 60

// presignV4 is the parsed X-Amz-* query of a presigned URL.
type presignV4 struct {
	auth    v4Auth
	date    time.Time
	expires time.Duration
}

// singleValues indexes the query, rejecting a repeated parameter among names.
func singleValues(pairs []queryPair, names ...string) (map[string]string, bool) {
	m := make(map[string]string, len(names))
	for _, p := range pairs {
		for _, n := range names {
			if p.key != n {
				continue
			}
			if _, dup := m[n]; dup {
				return nil, false
			}
			m[n] = p.value
		}
	}
	return m, true
}

// parsePresignV4 validates the presigned query: ErrQueryMalformed.
func parsePresignV4(pairs []queryPair) (presignV4, error) {
	q, ok := singleValues(pairs, "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date",
		"X-Amz-Expires", "X-Amz-SignedHeaders", "X-Amz-Signature")
	if !ok {
		return presignV4{}, fmt.Errorf("repeated X-Amz parameter: %w", ErrQueryMalformed)
	}
	switch q["X-Amz-Algorithm"] {
	case algoV4:
	case "AWS4-ECDSA-P256-SHA256":
		return presignV4{}, ErrUnsupported
	default:
		return presignV4{}, fmt.Errorf("X-Amz-Algorithm %.40q: %w", q["X-Amz-Algorithm"], ErrQueryMalformed)
	}
	a, err := newV4Auth(q["X-Amz-Credential"], q["X-Amz-SignedHeaders"], q["X-Amz-Signature"])
	if err != nil {
		return presignV4{}, fmt.Errorf("%w: %w", err, ErrQueryMalformed)
	}
	t, err := time.Parse(iso8601, q["X-Amz-Date"])
	if err != nil || t.Format("20060102") != a.cred.date {
		return presignV4{}, fmt.Errorf("X-Amz-Date %.40q: %w", q["X-Amz-Date"], ErrQueryMalformed)
	}
	exp, err := strconv.Atoi(q["X-Amz-Expires"])
	if err != nil || exp < 1 || exp > maxPresignExpiry {
		return presignV4{}, fmt.Errorf("X-Amz-Expires %.40q: %w", q["X-Amz-Expires"], ErrQueryMalformed)
	}
	return presignV4{auth: a, date: t, expires: time.Duration(exp) * time.Second}, nil
}

// verifyV4Query authenticates a SigV4 presigned URL.
func (v *Verifier) verifyV4Query(r *http.Request) (*Result, error) {
	pairs := parseQuery(r.URL.RawQuery)
	p, err := parsePresignV4(pairs)
	if err != nil {
		return nil, err
	}
	now := v.opts.Now()
	if p.date.Sub(now) > v.opts.MaxSkew {
		return nil, ErrRequestTimeTooSkewed
	}
	if now.After(p.date.Add(p.expires)) {
		return nil, ErrExpired
	}
	payload := r.Header.Get("X-Amz-Content-Sha256")
	if payload == "" {
		payload = unsignedPayload
	}
	sha, err := payloadHash(payload)
	if err != nil {
		return nil, err
	}
	secret, owner, err := v.secret(r.Context(), p.auth.cred.accessKey)
	if err != nil {
		return nil, err
	}
	c := p.auth.cred
	key := v.keys.get(secret, c.date, c.region, c.service)
	amzDate := p.date.Format(iso8601)
	query := canonicalQuery(pairs, "X-Amz-Signature")
	sig := v4Signature(key, r, p.auth.signedHeaders, query, payload, amzDate, c.String())
	if !hmac.Equal(sig, p.auth.signature) {
		return nil, ErrSignatureDoesNotMatch
	}
	st := &streamState{key: key, amzDate: amzDate, scope: c.String(), seed: hex.EncodeToString(sig)}
	return v.result(r, c.accessKey, owner, payload, sha, st)
}

// hasQueryKey reports whether the raw query has the parameter key.
func hasQueryKey(raw, key string) bool {
	for part := range strings.SplitSeq(raw, "&") {
		k, _, _ := strings.Cut(part, "=")
		if k == key {
			return true
		}
	}
	return false
}
