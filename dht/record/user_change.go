package record

import (
	"crypto/ed25519"
	"fmt"
	"time"
)

// Rotate returns the next record of r's user with a fresh secret access
// key, and that secret, which the caller shows the user once. The access
// key ID and the key pair stay: the user's buckets are keyed by them. The
// new record has sequence r.Seq+1 and is signed by the user's key, which
// r's sealed part holds; netKey opens it. A revoked user cannot be
// rotated (ErrRevoked).
func (r UserRecord) Rotate(netKey NetworkKey) (UserRecord, string, error) {
	secret, err := newSecret()
	if err != nil {
		return UserRecord{}, "", fmt.Errorf("generate secret: %w", err)
	}
	next, err := r.next(netKey, secret, false)
	return next, secret, err
}

// Revoke returns the record that removes r's user: sequence r.Seq+1, the
// revoked flag, and a sealed secret replaced by a random one, so not even
// a node that ignored the flag would accept the old secret. Revoking a
// revoked user fails with ErrRevoked.
func (r UserRecord) Revoke(netKey NetworkKey) (UserRecord, error) {
	secret, err := newSecret()
	if err != nil {
		return UserRecord{}, fmt.Errorf("generate secret: %w", err)
	}
	return r.next(netKey, secret, true)
}

// next builds and signs the record after r with secret and the revoked
// flag.
func (r UserRecord) next(netKey NetworkKey, secret string, revoke bool) (UserRecord, error) {
	if r.Revoked {
		return UserRecord{}, fmt.Errorf("user %s: %w", r.Name, ErrRevoked)
	}
	_, priv, err := r.Open(netKey)
	if err != nil {
		return UserRecord{}, err
	}
	now := time.Unix(0, time.Now().UnixNano()).UTC()
	if now.Before(r.Changed) {
		now = r.Changed // a clock set back must not make the record malformed
	}
	n := UserRecord{
		Version: UserRecordVersion, Name: r.Name, PublicKey: r.PublicKey,
		Created: r.Created, Seq: r.Seq + 1, Changed: now, Revoked: revoke,
	}
	if n.Sealed, err = seal(netKey, r.PublicKey, secret, priv); err != nil {
		return UserRecord{}, err
	}
	n.sign(ed25519.PrivateKey(priv))
	return n, nil
}
