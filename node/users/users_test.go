package users

import (
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	badger "github.com/dgraph-io/badger/v4"

	"github.com/d3s/d3s/dht"
	"github.com/d3s/d3s/dht/record"
	"github.com/d3s/d3s/s3"
)

// openUsersBadger opens a small on-disk badger in dir, closed at cleanup.
func openUsersBadger(t *testing.T, dir string) *badger.DB {
	t.Helper()
	opts := badger.DefaultOptions(filepath.Join(dir, "db")).
		WithLogger(nil).WithMemTableSize(4 << 20).WithValueThreshold(1 << 10).WithValueLogFileSize(1 << 20).
		WithBlockCacheSize(1 << 20).WithIndexCacheSize(0).WithNumCompactors(2)
	db, err := badger.Open(opts)
	if err != nil {
		t.Fatalf("open badger: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// newTestUsers opens a user database in a fresh data dir.
func newTestUsers(t *testing.T) (*DB, string) {
	t.Helper()
	dir := t.TempDir()
	u, err := openUsersIn(openUsersBadger(t, dir), dir, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatalf("open users: %v", err)
	}
	return u, dir
}

var akidRE = regexp.MustCompile(`^[A-Z2-7]{20}$`)

func TestUsersAddLookupList(t *testing.T) {
	u, _ := newTestUsers(t)
	ctx := t.Context()
	alice, err := u.Add(ctx, "alice")
	if err != nil {
		t.Fatalf("Add: %v", err)
	}
	if !akidRE.MatchString(alice.AccessKeyID) || len(alice.SecretAccessKey) != 40 || alice.Name != "alice" {
		t.Errorf("Add = %+v", alice)
	}
	bob, err := u.Add(ctx, "bob.smith@example-1_x")
	if err != nil {
		t.Fatalf("Add: %v", err)
	}
	user, secret, err := u.LookupUser(ctx, alice.AccessKeyID)
	if err != nil || secret != alice.SecretAccessKey || user != (s3.User{AccessKeyID: alice.AccessKeyID, Name: "alice"}) {
		t.Errorf("LookupUser = %+v, %q, %v", user, secret, err)
	}
	users, err := u.List(ctx)
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if len(users) != 2 || users[0].Name != "alice" || users[1].AccessKeyID != bob.AccessKeyID || users[0].Created.IsZero() {
		t.Errorf("List = %+v", users)
	}
}

func TestUsersAddRejects(t *testing.T) {
	u, _ := newTestUsers(t)
	if _, err := u.Add(t.Context(), "carol"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		want error
	}{
		{"carol", ErrUserExists},
		{"", record.ErrInvalidUserName},
		{"has space", record.ErrInvalidUserName},
		{"slash/name", record.ErrInvalidUserName},
		{strings.Repeat("n", 65), record.ErrInvalidUserName},
	}
	for _, tt := range tests {
		if _, err := u.Add(t.Context(), tt.name); !errors.Is(err, tt.want) {
			t.Errorf("Add(%q) = %v, want %v", tt.name, err, tt.want)
		}
	}
	if users, _ := u.List(t.Context()); len(users) != 1 {
		t.Errorf("after rejected adds List has %d users, want 1", len(users))
	}
}

func TestUsersConcurrentAddSameName(t *testing.T) {
	u, _ := newTestUsers(t)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			_, err := u.Add(t.Context(), "dup")
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	ok := 0
	for err := range errs {
		if err == nil {
			ok++
		} else if !errors.Is(err, ErrUserExists) {
			t.Errorf("Add: %v", err)
		}
	}
	if ok != 1 {
		t.Errorf("%d concurrent adds of one name succeeded, want 1", ok)
	}
}

func TestLookupUnknownUser(t *testing.T) {
	u, _ := newTestUsers(t)
	for _, akid := range []string{"", "short", "AAAAAAAAAAAAAAAAAAAA", "aaaaaaaaaaaaaaaaaaaa", strings.Repeat("A", 1000)} {
		if _, _, err := u.LookupUser(t.Context(), akid); !errors.Is(err, s3.ErrInvalidAccessKeyID) {
			t.Errorf("LookupUser(%.30q) = %v, want ErrInvalidAccessKeyID", akid, err)
		}
	}
}

func TestUsersPersistAcrossReopen(t *testing.T) {
	dir := t.TempDir()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	db := openUsersBadger(t, dir)
	u1, err := openUsersIn(db, dir, log)
	if err != nil {
		t.Fatal(err)
	}
	first, err := u1.EnsureFirstUser(t.Context())
	if err != nil || first == nil || first.Name != "admin" {
		t.Fatalf("EnsureFirstUser on empty db = %+v, %v", first, err)
	}
	// A second DB over the same badger and data dir has no cache: its
	// lookup reads, validates and unseals the stored record.
	u2, err := openUsersIn(db, dir, log)
	if err != nil {
		t.Fatal(err)
	}
	if again, err := u2.EnsureFirstUser(t.Context()); again != nil || err != nil {
		t.Errorf("EnsureFirstUser on a db with users = %+v, %v, want nil, nil", again, err)
	}
	_, secret, err := u2.LookupUser(t.Context(), first.AccessKeyID)
	if err != nil || secret != first.SecretAccessKey {
		t.Errorf("LookupUser after reopen = %q, %v, want %q", secret, err, first.SecretAccessKey)
	}
}

func TestLookupRejectsForeignNetworkRecord(t *testing.T) {
	u, _ := newTestUsers(t)
	rec, _, err := record.NewUser("mallory", record.NetworkKey{42})
	if err != nil {
		t.Fatal(err)
	}
	err = u.db.Update(func(txn *badger.Txn) error {
		return txn.Set([]byte(usersRecordPrefix+rec.AccessKeyID()), rec.Marshal())
	})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = u.LookupUser(t.Context(), rec.AccessKeyID())
	if !errors.Is(err, record.ErrSealOpen) {
		t.Errorf("LookupUser of a record sealed for another network = %v, want ErrSealOpen", err)
	}
}

func BenchmarkLookupUser(b *testing.B) {
	dir := b.TempDir()
	opts := badger.DefaultOptions(filepath.Join(dir, "db")).WithLogger(nil).WithMemTableSize(4 << 20).WithValueThreshold(1 << 10)
	db, err := badger.Open(opts)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	u, err := openUsersIn(db, dir, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		b.Fatal(err)
	}
	creds, err := u.Add(b.Context(), "bench")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := u.LookupUser(b.Context(), creds.AccessKeyID); err != nil {
			b.Fatal(err)
		}
	}
}

// openUsersIn opens a user database over db with the network key of the
// data dir dir, creating it on first use as a founding node does.
func openUsersIn(db *badger.DB, dir string, log *slog.Logger) (*DB, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	key, err := dht.LoadOrCreateNetworkKey(filepath.Join(dir, "network.key"))
	if err != nil {
		return nil, err
	}
	return Open(db, key, log), nil
}
