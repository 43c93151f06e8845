package dht

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"

	"github.com/d3s/d3s/dht/record"
)

// TokenPrefix starts every join token; the digit is the format version.
const TokenPrefix = "d3s1"

// Join token bounds.
const (
	// MaxTokenAddrs bounds the addresses of one token.
	MaxTokenAddrs = 32
	// maxTokenLen bounds an encoded token, so Parse rejects garbage early.
	maxTokenLen = 8 << 10
	// tokenSumLen is the length of the checksum closing a token.
	tokenSumLen = 4
)

// Token is what a node needs to join a network: the network key and the
// addresses of members, each ending in /p2p/<peer ID>. It is secret: it
// holds the network key.
type Token struct {
	NetworkKey record.NetworkKey
	Addrs      []ma.Multiaddr
}

// Token returns the join token of this host's network: key and the
// host's own addresses.
func (h *Host) Token(key record.NetworkKey) (Token, error) {
	addrs, err := peer.AddrInfoToP2pAddrs(&peer.AddrInfo{ID: h.ID(), Addrs: h.Addrs()})
	if err != nil {
		return Token{}, fmt.Errorf("join token: %w", err)
	}
	if len(addrs) > MaxTokenAddrs {
		addrs = addrs[:MaxTokenAddrs]
	}
	return Token{NetworkKey: key, Addrs: addrs}, nil
}

// Encode returns the token as one copy-pasteable string: TokenPrefix, then
// unpadded base64url of the network key (32 bytes), the address count (1
// byte), each address as a 2-byte big-endian length and its binary
// multiaddr, and the first 4 bytes of the SHA-256 of everything before.
func (t Token) Encode() string {
	b := append([]byte(nil), t.NetworkKey[:]...)
	n := min(len(t.Addrs), MaxTokenAddrs)
	b = append(b, byte(n))
	for _, a := range t.Addrs[:n] {
		b = binary.BigEndian.AppendUint16(b, uint16(len(a.Bytes())))
		b = append(b, a.Bytes()...)
	}
	sum := sha256.Sum256(b)
	b = append(b, sum[:tokenSumLen]...)
	return TokenPrefix + base64.RawURLEncoding.EncodeToString(b)
}

// ParseToken decodes a token made by Encode; surrounding white space is
// ignored. Errors wrap ErrBadToken.
func ParseToken(s string) (Token, error) {
	s = strings.TrimSpace(s)
	body, ok := strings.CutPrefix(s, TokenPrefix)
	if !ok || len(s) > maxTokenLen {
		return Token{}, fmt.Errorf("%w: not a d3s1 token", ErrBadToken)
	}
	raw, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil {
		return Token{}, fmt.Errorf("%w: %v", ErrBadToken, err)
	}
	if len(raw) < record.NetworkKeySize+1+tokenSumLen {
		return Token{}, fmt.Errorf("%w: too short", ErrBadToken)
	}
	payload, sum := raw[:len(raw)-tokenSumLen], raw[len(raw)-tokenSumLen:]
	if want := sha256.Sum256(payload); !bytes.Equal(sum, want[:tokenSumLen]) {
		return Token{}, fmt.Errorf("%w: checksum mismatch (token mistyped or cut short?)", ErrBadToken)
	}
	return decodeToken(payload)
}

// decodeToken decodes a checksummed payload.
func decodeToken(payload []byte) (Token, error) {
	var t Token
	d := record.NewReader(payload)
	copy(t.NetworkKey[:], d.Take(record.NetworkKeySize))
	n := int(d.U8())
	if n == 0 || n > MaxTokenAddrs {
		return Token{}, fmt.Errorf("%w: %d addresses", ErrBadToken, n)
	}
	for i := 0; i < n && !d.Failed(); i++ {
		a, err := ma.NewMultiaddrBytes(d.Take(int(d.U16())))
		if err != nil {
			return Token{}, fmt.Errorf("%w: address %d: %v", ErrBadToken, i, err)
		}
		if _, err := peer.AddrInfoFromP2pAddr(a); err != nil {
			return Token{}, fmt.Errorf("%w: address %s: %v", ErrBadToken, a, err)
		}
		t.Addrs = append(t.Addrs, a)
	}
	if err := d.Finish("join token"); err != nil {
		return Token{}, fmt.Errorf("%w: %v", ErrBadToken, err)
	}
	if t.NetworkKey == (record.NetworkKey{}) {
		return Token{}, fmt.Errorf("%w: zero network key", ErrBadToken)
	}
	return t, nil
}

// Peers returns the token's addresses grouped by peer, for Bootstrap.
func (t Token) Peers() ([]peer.AddrInfo, error) {
	infos, err := peer.AddrInfosFromP2pAddrs(t.Addrs...)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadToken, err)
	}
	return infos, nil
}
