package users

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"

	"github.com/d3s/d3s/dht"
	"github.com/d3s/d3s/dht/record"
	"github.com/d3s/d3s/s3"
)

// fakeNetwork is an in-memory Network that counts lookups.
type fakeNetwork struct {
	mu      sync.Mutex
	records map[string][]byte
	gets    int
}

func (f *fakeNetwork) Get(ctx context.Context, key string) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.gets++
	if v, ok := f.records[key]; ok {
		return v, nil
	}
	return nil, fmt.Errorf("get %s: %w", key, dht.ErrNotFound)
}

func (f *fakeNetwork) Publish(ctx context.Context, key string, record []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.records[key] = record
	return nil
}

func (f *fakeNetwork) Fresh(context.Context) error { return nil }

func (f *fakeNetwork) lookups() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.gets
}

func TestLookupFallsBackToNetwork(t *testing.T) {
	u, _ := newTestUsers(t)
	net := &fakeNetwork{records: map[string][]byte{}}
	u.Attach(net)
	ctx := t.Context()

	// A user published by another member of the same network.
	rec, secret, err := record.NewUser("remote", u.network)
	if err != nil {
		t.Fatal(err)
	}
	net.records[record.UserKey(rec.AccessKeyID())] = rec.Marshal()
	user, got, err := u.LookupUser(ctx, rec.AccessKeyID())
	if err != nil || got != secret || user.Name != "remote" {
		t.Fatalf("LookupUser of a network user = %+v, %v", user, err)
	}
	if users, _ := u.List(ctx); len(users) != 1 || users[0].AccessKeyID != rec.AccessKeyID() {
		t.Errorf("a user found in the network is not listed: %+v", users)
	}
	if priv, err := u.UserKey(ctx, rec.AccessKeyID()); err != nil || !bytes.Equal(priv.Public().(ed25519.PublicKey), rec.PublicKey) {
		t.Errorf("UserKey = %v", err)
	}

	// A record sealed for another network is refused, and remembered as a
	// miss like an unknown key.
	foreign, _, _ := record.NewUser("foreign", record.NetworkKey{7})
	net.records[record.UserKey(foreign.AccessKeyID())] = foreign.Marshal()
	for _, akid := range []string{foreign.AccessKeyID(), "ABCDEFGHIJKLMNOPQRST"} {
		before := net.lookups()
		for range 50 {
			if _, _, err := u.LookupUser(ctx, akid); !errors.Is(err, s3.ErrInvalidAccessKeyID) {
				t.Fatalf("LookupUser(%s) = %v, want ErrInvalidAccessKeyID", akid, err)
			}
		}
		if n := net.lookups() - before; n != 1 {
			t.Errorf("50 lookups of %s asked the network %d times, want 1 (negative cache)", akid, n)
		}
	}
	if _, err := u.UserKey(ctx, "ABCDEFGHIJKLMNOPQRST"); !errors.Is(err, ErrUnknownUser) {
		t.Errorf("UserKey of an unknown user = %v", err)
	}
}

func TestAddPublishes(t *testing.T) {
	u, _ := newTestUsers(t)
	net := &fakeNetwork{records: map[string][]byte{}}
	u.Attach(net)
	creds, err := u.Add(t.Context(), "pub")
	if err != nil {
		t.Fatal(err)
	}
	raw := net.records[record.UserKey(creds.AccessKeyID)]
	if err := record.ValidateUserRecord(record.UserKey(creds.AccessKeyID), raw); err != nil {
		t.Errorf("published record: %v", err)
	}
	// Another member's database takes the record; a replayed or forged
	// one changes nothing.
	other := Open(openUsersBadger(t, t.TempDir()), u.network, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if ok, err := other.Store(creds.AccessKeyID, raw); !ok || err != nil {
		t.Fatalf("store = %v, %v", ok, err)
	}
	if ok, err := other.Store(creds.AccessKeyID, raw); ok || err != nil {
		t.Errorf("storing the same record again = %v, %v; want not stored", ok, err)
	}
	forged := append([]byte(nil), raw...)
	forged[len(forged)-1] ^= 1
	if _, err := other.Store(creds.AccessKeyID, forged); !errors.Is(err, record.ErrBadSignature) {
		t.Errorf("store of a forged record = %v", err)
	}
	_, secret, err := other.LookupUser(t.Context(), creds.AccessKeyID)
	if err != nil || secret != creds.SecretAccessKey {
		t.Errorf("the other member looks up the synced user: %v", err)
	}
}
