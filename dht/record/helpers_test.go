package record

import (
	"crypto/ed25519"
	"testing"
	"time"
)

// signer is a user key pair for signing records.
type signer struct {
	pub  ed25519.PublicKey
	priv ed25519.PrivateKey
	akid string
}

func newSigner(t testing.TB) signer {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	return signer{pub: pub, priv: priv, akid: AccessKeyID(pub)}
}

// head returns a signed catalogue head of bucket with sequence seq.
func (u signer) head(bucket string, seq uint64, entries ...string) CatalogHead {
	h := CatalogHead{
		Seq: seq, Bucket: bucket, Writer: "node-a",
		Time:       HLC{Wall: time.Now().UnixNano(), Logical: 1},
		SnapshotID: []byte("snapshot-1"),
	}
	for _, e := range entries {
		h.Entries = append(h.Entries, []byte(e))
	}
	h.Sign(u.priv)
	return h
}
