package record

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
)

// NetworkKeySize is the length of a network key in bytes.
const NetworkKeySize = 32

// NetworkKey is the secret shared by every member of one D3S network. It
// becomes the libp2p private-network PSK, travels in the join token, and
// seals the secrets inside user records.
type NetworkKey [NetworkKeySize]byte

// sealInfo is the HKDF info string of the key that seals user secrets.
const sealInfo = "d3s user seal v1"

// Sizes of the sealed part of a version-1 user record.
const (
	sealNonceSize = 12
	sealTagSize   = 16
	sealPlainSize = SecretKeyLen + ed25519.SeedSize
	// SealedSize is the length of the sealed secret in a version-1 record.
	SealedSize = sealNonceSize + sealPlainSize + sealTagSize
)

// sealAEAD returns AES-256-GCM keyed with HKDF-SHA256(netKey, info
// "d3s user seal v1").
func sealAEAD(netKey NetworkKey) (cipher.AEAD, error) {
	key, err := hkdf.Key(sha256.New, netKey[:], nil, sealInfo, 32)
	if err != nil {
		return nil, fmt.Errorf("derive seal key: %w", err)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("seal cipher: %w", err)
	}
	return cipher.NewGCM(block)
}

// sealAD binds a sealed secret to its user: a sealed blob copied into
// another user's record does not open.
func sealAD(pub ed25519.PublicKey) []byte {
	return append([]byte(sealInfo), pub...)
}

// seal encrypts secret and the seed of priv under netKey: nonce || ciphertext.
func seal(netKey NetworkKey, pub ed25519.PublicKey, secret string, priv ed25519.PrivateKey) ([]byte, error) {
	aead, err := sealAEAD(netKey)
	if err != nil {
		return nil, err
	}
	out := make([]byte, sealNonceSize, SealedSize)
	if _, err := rand.Read(out); err != nil {
		return nil, fmt.Errorf("seal nonce: %w", err)
	}
	plain := append([]byte(secret), priv.Seed()...)
	return aead.Seal(out, out[:sealNonceSize], plain, sealAD(pub)), nil
}

// Open unseals the record's secret access key and the user's private key
// with netKey. It fails with ErrSealOpen when netKey is not the key the
// record was sealed with, or when the sealed contents do not belong to the
// record's public key.
func (r UserRecord) Open(netKey NetworkKey) (string, ed25519.PrivateKey, error) {
	if len(r.Sealed) != SealedSize || len(r.PublicKey) != ed25519.PublicKeySize {
		return "", nil, fmt.Errorf("open user %s: %w: bad sizes", r.Name, ErrSealOpen)
	}
	aead, err := sealAEAD(netKey)
	if err != nil {
		return "", nil, err
	}
	plain, err := aead.Open(nil, r.Sealed[:sealNonceSize], r.Sealed[sealNonceSize:], sealAD(r.PublicKey))
	if err != nil {
		return "", nil, fmt.Errorf("open user %s: %w: wrong network key or corrupt record", r.Name, ErrSealOpen)
	}
	secret := string(plain[:SecretKeyLen])
	priv := ed25519.NewKeyFromSeed(plain[SecretKeyLen:])
	pub := priv.Public().(ed25519.PublicKey)
	if !validSecret(secret) || subtle.ConstantTimeCompare(pub, r.PublicKey) != 1 {
		return "", nil, fmt.Errorf("open user %s: %w: sealed key does not match record", r.Name, ErrSealOpen)
	}
	return secret, priv, nil
}
