package record

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"strings"
	"time"
)

// Field bounds of users and their records.
const (
	// AccessKeyIDLen is the length of an access key ID.
	AccessKeyIDLen = 20
	// SecretKeyLen is the length of a secret access key.
	SecretKeyLen = 40
	// MaxUserNameLen is the longest user name.
	MaxUserNameLen = 64
	// UserNamespace prefixes the DHT key of every user record.
	UserNamespace = "/d3s/user/"
)

// accessKeyDomain separates the access key hash from every other use of a
// user's public key.
const accessKeyDomain = "d3s-user-v1"

// secretAlphabet holds the 64 characters of AWS-style secret keys; 64 is a
// power of two, so masking a random byte picks each one uniformly.
const secretAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

// AccessKeyID returns the access key ID of the user owning pub: the first
// 20 characters of the unpadded upper-case base32 SHA-256 of
// "d3s-user-v1" || pub. It is self-certifying: only the holder of the
// matching private key can sign a record that validates under it.
func AccessKeyID(pub ed25519.PublicKey) string {
	h := sha256.New()
	h.Write([]byte(accessKeyDomain))
	h.Write(pub)
	return base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(h.Sum(nil))[:AccessKeyIDLen]
}

// UserKey returns the DHT key of the credential record of accessKeyID.
func UserKey(accessKeyID string) string {
	return UserNamespace + accessKeyID
}

// ValidAccessKeyID reports whether s has the shape of an access key ID:
// 20 characters of the base32 alphabet A–Z, 2–7.
func ValidAccessKeyID(s string) bool {
	if len(s) != AccessKeyIDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('A' <= c && c <= 'Z' || '2' <= c && c <= '7') {
			return false
		}
	}
	return true
}

// ValidateUserName returns an error wrapping ErrInvalidUserName unless name
// is 1–64 characters of [A-Za-z0-9._@-].
func ValidateUserName(name string) error {
	if len(name) == 0 || len(name) > MaxUserNameLen {
		return fmt.Errorf("%w: %q must be 1 to %d characters", ErrInvalidUserName, name, MaxUserNameLen)
	}
	for i := 0; i < len(name); i++ {
		if !userNameByte(name[i]) {
			return fmt.Errorf("%w: %q may only contain letters, digits and . _ @ -", ErrInvalidUserName, name)
		}
	}
	return nil
}

func userNameByte(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return c == '.' || c == '_' || c == '@' || c == '-'
}

// newSecret returns a fresh 40-character secret access key.
func newSecret() (string, error) {
	b := make([]byte, SecretKeyLen)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	for i := range b {
		b[i] = secretAlphabet[b[i]&63]
	}
	return string(b), nil
}

// validSecret reports whether s has the shape of a secret access key.
func validSecret(s string) bool {
	if len(s) != SecretKeyLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(secretAlphabet, s[i]) < 0 {
			return false
		}
	}
	return true
}

// NewUser creates a user called name: a fresh Ed25519 key pair and secret
// access key, sealed under netKey into a signed record with sequence number
// 1. It returns the record and the secret, which the caller shows the user
// once.
func NewUser(name string, netKey NetworkKey) (UserRecord, string, error) {
	if err := ValidateUserName(name); err != nil {
		return UserRecord{}, "", err
	}
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return UserRecord{}, "", fmt.Errorf("generate user key: %w", err)
	}
	secret, err := newSecret()
	if err != nil {
		return UserRecord{}, "", fmt.Errorf("generate secret: %w", err)
	}
	now := time.Unix(0, time.Now().UnixNano()).UTC()
	r := UserRecord{
		Version:   UserRecordVersion,
		Name:      name,
		PublicKey: pub,
		Created:   now,
		Seq:       1,
		Changed:   now,
	}
	if r.Sealed, err = seal(netKey, pub, secret, priv); err != nil {
		return UserRecord{}, "", err
	}
	r.sign(priv)
	return r, secret, nil
}
