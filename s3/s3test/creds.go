package s3test

import (
	"context"
	"sync"

	"github.com/d3s/d3s/s3"
)

// MemCredentials is an in-memory s3.Credentials for tests. The zero value
// is ready to use and safe for concurrent use.
type MemCredentials struct {
	mu    sync.RWMutex
	users map[string]memCredential
}

var _ s3.Credentials = (*MemCredentials)(nil)

type memCredential struct {
	user   s3.User
	secret string
}

// Add registers a user named name with the given access key and secret,
// replacing any earlier user with that access key. It returns the user.
func (c *MemCredentials) Add(accessKeyID, secret, name string) s3.User {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.users == nil {
		c.users = make(map[string]memCredential)
	}
	u := s3.User{AccessKeyID: accessKeyID, Name: name}
	c.users[accessKeyID] = memCredential{user: u, secret: secret}
	return u
}

// LookupUser implements s3.Credentials: ErrInvalidAccessKeyID for an
// unknown access key.
func (c *MemCredentials) LookupUser(ctx context.Context, accessKeyID string) (s3.User, string, error) {
	if err := ctx.Err(); err != nil {
		return s3.User{}, "", err
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	cr, ok := c.users[accessKeyID]
	if !ok {
		return s3.User{}, "", s3.ErrInvalidAccessKeyID
	}
	return cr.user, cr.secret, nil
}
