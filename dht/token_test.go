package dht

import (
	"errors"
	"strings"
	"testing"

	"github.com/d3s/d3s/dht/record"
	ma "github.com/multiformats/go-multiaddr"
)

func testToken(t *testing.T) Token {
	t.Helper()
	var addrs []ma.Multiaddr
	for _, s := range []string{
		"/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWGzxzKZYveHXtpG6AsrUJBcWxHBFS2HsEoGTxrMLvKXtf",
		"/ip6/::1/tcp/4002/p2p/12D3KooWGzxzKZYveHXtpG6AsrUJBcWxHBFS2HsEoGTxrMLvKXtf",
	} {
		addrs = append(addrs, ma.StringCast(s))
	}
	return Token{NetworkKey: record.NetworkKey{1, 2, 3, 31: 9}, Addrs: addrs}
}

func TestTokenRoundTrip(t *testing.T) {
	want := testToken(t)
	s := want.Encode()
	if !strings.HasPrefix(s, TokenPrefix) || strings.ContainsAny(s, " \n+/=") {
		t.Fatalf("token %q is not one copy-pasteable word", s)
	}
	got, err := ParseToken("  " + s + "\n")
	if err != nil {
		t.Fatal(err)
	}
	if got.NetworkKey != want.NetworkKey || len(got.Addrs) != len(want.Addrs) {
		t.Fatalf("round trip changed the token: %+v", got)
	}
	for i := range got.Addrs {
		if !got.Addrs[i].Equal(want.Addrs[i]) {
			t.Fatalf("address %d: %s, want %s", i, got.Addrs[i], want.Addrs[i])
		}
	}
	peers, err := got.Peers()
	if err != nil || len(peers) != 1 || len(peers[0].Addrs) != 2 {
		t.Fatalf("Peers = %v, %v; want one peer with two addresses", peers, err)
	}
}

func TestParseTokenRejects(t *testing.T) {
	good := testToken(t).Encode()
	noAddrs := Token{NetworkKey: record.NetworkKey{1}}.Encode()
	noPeer := Token{NetworkKey: record.NetworkKey{1}, Addrs: []ma.Multiaddr{ma.StringCast("/ip4/1.2.3.4/tcp/1")}}.Encode()
	zeroKey := Token{Addrs: testToken(t).Addrs}.Encode()
	mistyped := []byte(good)
	if mistyped[10] == 'A' {
		mistyped[10] = 'B'
	} else {
		mistyped[10] = 'A'
	}
	for name, s := range map[string]string{
		"empty":            "",
		"wrong prefix":     "d3s2" + good[4:],
		"mistyped":         string(mistyped),
		"cut short":        good[:len(good)-3],
		"not base64":       TokenPrefix + "!!!",
		"no addresses":     noAddrs,
		"address sans ID":  noPeer,
		"zero network key": zeroKey,
		"huge":             TokenPrefix + strings.Repeat("A", maxTokenLen),
	} {
		if _, err := ParseToken(s); !errors.Is(err, ErrBadToken) {
			t.Errorf("%s: ParseToken = %v, want ErrBadToken", name, err)
		}
	}
}

func TestHostToken(t *testing.T) {
	n := startNode(t, t.TempDir(), record.NetworkKey{12})
	tok, err := n.host.Token(record.NetworkKey{12})
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := ParseToken(tok.Encode())
	if err != nil {
		t.Fatal(err)
	}
	joiner := startNode(t, t.TempDir(), parsed.NetworkKey)
	peers, err := parsed.Peers()
	if err != nil {
		t.Fatal(err)
	}
	if err := joiner.dht.Bootstrap(t.Context(), peers); err != nil {
		t.Fatalf("join with the host's token: %v", err)
	}
}

func FuzzParseToken(f *testing.F) {
	good := Token{NetworkKey: record.NetworkKey{1}, Addrs: []ma.Multiaddr{
		ma.StringCast("/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWGzxzKZYveHXtpG6AsrUJBcWxHBFS2HsEoGTxrMLvKXtf"),
	}}.Encode()
	for _, s := range []string{good, "", TokenPrefix, TokenPrefix + "AAAA", good[:len(good)-1], good + "A"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tok, err := ParseToken(s)
		if err != nil {
			if !errors.Is(err, ErrBadToken) {
				t.Fatalf("error %v does not wrap ErrBadToken", err)
			}
			return
		}
		again, err := ParseToken(tok.Encode())
		if err != nil || again.NetworkKey != tok.NetworkKey || len(again.Addrs) != len(tok.Addrs) {
			t.Fatalf("a parsed token does not round-trip: %v", err)
		}
	})
}
