package users

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"testing"

	"github.com/d3s/d3s/dht/record"
	"github.com/d3s/d3s/s3"
)

// statusOf returns the status List shows for accessKeyID.
func statusOf(t *testing.T, u *DB, accessKeyID string) string {
	t.Helper()
	list, err := u.List(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range list {
		if i.AccessKeyID == accessKeyID {
			return i.Status
		}
	}
	return "missing"
}

func TestRemoveUser(t *testing.T) {
	u, _ := newTestUsers(t)
	ctx := t.Context()
	alice, err := u.Add(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := u.LookupUser(ctx, alice.AccessKeyID); err != nil { // cached now
		t.Fatal(err)
	}
	if info, err := u.Remove(ctx, "alice"); err != nil || info.AccessKeyID != alice.AccessKeyID {
		t.Fatalf("Remove = %+v, %v", info, err)
	}
	_, _, err = u.LookupUser(ctx, alice.AccessKeyID)
	if !errors.Is(err, s3.ErrInvalidAccessKeyID) || !errors.Is(err, ErrUserRemoved) {
		t.Errorf("LookupUser of a removed user = %v, want InvalidAccessKeyId", err)
	}
	if got := statusOf(t, u, alice.AccessKeyID); got != StatusRemoved {
		t.Errorf("List shows the removed user as %q", got)
	}
	tests := []struct {
		name string
		want error
	}{
		{"alice", ErrUserRemoved},
		{"nobody", ErrUnknownUser},
		{"", record.ErrInvalidUserName},
		{"bad name", record.ErrInvalidUserName},
	}
	for _, tt := range tests {
		if _, err := u.Remove(ctx, tt.name); !errors.Is(err, tt.want) {
			t.Errorf("Remove(%q) = %v, want %v", tt.name, err, tt.want)
		}
		if _, err := u.Rotate(ctx, tt.name); !errors.Is(err, tt.want) {
			t.Errorf("Rotate(%q) = %v, want %v", tt.name, err, tt.want)
		}
	}
	// The name is free again; the new user is another key.
	again, err := u.Add(ctx, "alice")
	if err != nil || again.AccessKeyID == alice.AccessKeyID {
		t.Fatalf("Add after Remove = %+v, %v", again, err)
	}
	if _, _, err := u.LookupUser(ctx, again.AccessKeyID); err != nil {
		t.Errorf("the new alice is refused: %v", err)
	}
}

func TestRotateUser(t *testing.T) {
	u, _ := newTestUsers(t)
	ctx := t.Context()
	other := Open(openUsersBadger(t, t.TempDir()), u.network, slog.New(slog.NewTextHandler(io.Discard, nil)))
	bob, err := u.Add(ctx, "bob")
	if err != nil {
		t.Fatal(err)
	}
	recs, _ := u.Records(ctx)
	if _, err := other.Store(bob.AccessKeyID, recs[bob.AccessKeyID]); err != nil {
		t.Fatal(err)
	}
	if _, secret, err := other.LookupUser(ctx, bob.AccessKeyID); err != nil || secret != bob.SecretAccessKey {
		t.Fatalf("other member before rotation: %v", err)
	}
	creds, err := u.Rotate(ctx, "bob")
	if err != nil || creds.AccessKeyID != bob.AccessKeyID || creds.SecretAccessKey == bob.SecretAccessKey {
		t.Fatalf("Rotate = %+v, %v", creds, err)
	}
	recs, _ = u.Records(ctx)
	if ok, err := other.Store(bob.AccessKeyID, recs[bob.AccessKeyID]); !ok || err != nil {
		t.Fatalf("other member stores the rotated record: %v, %v", ok, err)
	}
	for name, db := range map[string]*DB{"rotating node": u, "other member": other} {
		if _, secret, err := db.LookupUser(ctx, bob.AccessKeyID); err != nil || secret != creds.SecretAccessKey {
			t.Errorf("%s: LookupUser after rotation gives the old secret or %v", name, err)
		}
	}
}

// TestNameConflictOnMerge adds one name on two members that cannot see
// each other, then exchanges their records both ways: both must agree that
// the earlier user holds the name and refuse the other's keys.
func TestNameConflictOnMerge(t *testing.T) {
	a, _ := newTestUsers(t)
	b := Open(openUsersBadger(t, t.TempDir()), a.network, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx := t.Context()
	first, err := a.Add(ctx, "kim")
	if err != nil {
		t.Fatal(err)
	}
	second, err := b.Add(ctx, "kim")
	if err != nil {
		t.Fatal(err)
	}
	merge(t, a, b)
	merge(t, b, a)
	for name, db := range map[string]*DB{"a": a, "b": b} {
		if _, secret, err := db.LookupUser(ctx, first.AccessKeyID); err != nil || secret != first.SecretAccessKey {
			t.Errorf("%s: the first kim is refused: %v", name, err)
		}
		_, _, err := db.LookupUser(ctx, second.AccessKeyID)
		if !errors.Is(err, s3.ErrInvalidAccessKeyID) || !errors.Is(err, ErrNameConflict) {
			t.Errorf("%s: the second kim = %v, want InvalidAccessKeyId for a name conflict", name, err)
		}
		if st := statusOf(t, db, second.AccessKeyID); st != StatusConflict {
			t.Errorf("%s: List shows the loser as %q", name, st)
		}
		if _, err := db.Add(ctx, "kim"); !errors.Is(err, ErrUserExists) {
			t.Errorf("%s: a third kim = %v, want ErrUserExists", name, err)
		}
	}
	// Rotating kim rotates the holder; the loser can still be removed
	// once the holder is gone.
	if creds, err := b.Rotate(ctx, "kim"); err != nil || creds.AccessKeyID != first.AccessKeyID {
		t.Errorf("Rotate(kim) = %+v, %v; want the holder rotated", creds, err)
	}
	for _, want := range []string{first.AccessKeyID, second.AccessKeyID} {
		if info, err := b.Remove(ctx, "kim"); err != nil || info.AccessKeyID != want {
			t.Errorf("Remove(kim) = %+v, %v; want %s removed", info, err, want)
		}
	}
}

// merge stores every record of from in to.
func merge(t *testing.T, from, to *DB) {
	t.Helper()
	recs, err := from.Records(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for akid, raw := range recs {
		if _, err := to.Store(akid, raw); err != nil {
			t.Fatal(err)
		}
	}
}

// staleNetwork is a Network that has not merged the members' records.
type staleNetwork struct{ fakeNetwork }

func (*staleNetwork) Fresh(context.Context) error {
	return fmt.Errorf("test: %w", ErrNotSynced)
}

func TestLookupBeforeMergeIs503(t *testing.T) {
	u, _ := newTestUsers(t)
	creds, err := u.Add(t.Context(), "lee")
	if err != nil {
		t.Fatal(err)
	}
	u.Attach(&staleNetwork{fakeNetwork{records: map[string][]byte{}}})
	if _, _, err := u.LookupUser(t.Context(), creds.AccessKeyID); s3.AsCode(err) != s3.ErrSlowDown {
		t.Errorf("LookupUser before the merge = %v, want SlowDown", err)
	}
	if _, err := u.Add(t.Context(), "lee2"); !errors.Is(err, ErrNotSynced) {
		t.Errorf("Add before the merge = %v, want ErrNotSynced", err)
	}
}
