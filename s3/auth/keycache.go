package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"sync"
)

// keyCacheSize bounds the derived-key cache. A key is valid for one day,
// region and user, so a few thousand entries cover any realistic load;
// when full the cache starts over rather than tracking recency.
const keyCacheSize = 4096

// keyCache memoises SigV4 signing keys: deriving one costs four HMACs,
// more than checking the signature itself.
type keyCache struct {
	mu   sync.Mutex
	max  int
	keys map[string][]byte
}

func newKeyCache(max int) *keyCache {
	return &keyCache{max: max, keys: make(map[string][]byte)}
}

// get returns the signing key for secret, date (yyyymmdd), region and
// service, deriving and caching it on a miss.
func (c *keyCache) get(secret, date, region, service string) []byte {
	id := secret + "\x00" + date + "\x00" + region + "\x00" + service
	c.mu.Lock()
	k, ok := c.keys[id]
	c.mu.Unlock()
	if ok {
		return k
	}
	k = deriveKey(secret, date, region, service)
	c.mu.Lock()
	if len(c.keys) >= c.max {
		clear(c.keys)
	}
	c.keys[id] = k
	c.mu.Unlock()
	return k
}

// deriveKey computes the SigV4 signing key.
func deriveKey(secret, date, region, service string) []byte {
	k := hmacSHA256([]byte("AWS4"+secret), date)
	k = hmacSHA256(k, region)
	k = hmacSHA256(k, service)
	return hmacSHA256(k, "aws4_request")
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}
