package record

import (
	"bytes"
	"errors"
	"testing"
	"time"
)

func TestRotateKeepsKeyNewSecret(t *testing.T) {
	r, old := newTestUser(t, "gina")
	next, secret, err := r.Rotate(testNetKey)
	if err != nil {
		t.Fatal(err)
	}
	key := UserKey(r.AccessKeyID())
	if err := ValidateUserRecord(key, next.Marshal()); err != nil {
		t.Fatalf("rotated record: %v", err)
	}
	got, _, err := next.Open(testNetKey)
	if err != nil || got != secret || secret == old {
		t.Errorf("rotated record opens to %q, %v; want the new secret %q (old %q)", got, err, secret, old)
	}
	if next.AccessKeyID() != r.AccessKeyID() || next.Seq != 2 || next.Revoked || next.Changed.Before(r.Changed) {
		t.Errorf("rotated record = %+v", next)
	}
	if i, err := SelectUserRecord(key, [][]byte{next.Marshal(), r.Marshal()}); err != nil || i != 0 {
		t.Errorf("Select(rotated, original) = %d, %v; want the rotated one", i, err)
	}
}

// TestRevocationIsFinal checks the promise of remove: once a revoked record
// exists, no replay of an older record and no later record without the
// flag displaces it, in Select and in the namespaced Validator alike.
func TestRevocationIsFinal(t *testing.T) {
	r, _ := newTestUser(t, "hank")
	rotated, _, err := r.Rotate(testNetKey)
	if err != nil {
		t.Fatal(err)
	}
	revoked, err := rotated.Revoke(testNetKey)
	if err != nil {
		t.Fatal(err)
	}
	if !revoked.Revoked || revoked.Seq != 3 {
		t.Fatalf("revoked record = %+v", revoked)
	}
	// A member holding the private key signs a higher sequence without
	// the flag: it must lose all the same.
	undo := resigned(t, revoked, func(u *UserRecord) { u.Revoked, u.Seq = false, 9 })
	key := UserKey(r.AccessKeyID())
	rv := revoked.Marshal()
	for _, values := range [][][]byte{
		{r.Marshal(), rv}, {rv, r.Marshal()}, {rotated.Marshal(), rv}, {undo, rv}, {rv, undo, r.Marshal()},
	} {
		for name, sel := range map[string]func(string, [][]byte) (int, error){
			"SelectUserRecord": SelectUserRecord, "Validator.Select": Validator{}.Select,
		} {
			i, err := sel(key, values)
			if err != nil || !bytes.Equal(values[i], rv) {
				t.Errorf("%s picked %d (%v) among %d records; want the revoked one", name, i, err, len(values))
			}
		}
	}
	if _, err := revoked.Revoke(testNetKey); !errors.Is(err, ErrRevoked) {
		t.Errorf("revoking twice = %v, want ErrRevoked", err)
	}
	if _, _, err := revoked.Rotate(testNetKey); !errors.Is(err, ErrRevoked) {
		t.Errorf("rotating a removed user = %v, want ErrRevoked", err)
	}
}

func TestUserRecordV2Rejects(t *testing.T) {
	r, _ := newTestUser(t, "ivy")
	revoked, err := r.Revoke(testNetKey)
	if err != nil {
		t.Fatal(err)
	}
	key := UserKey(r.AccessKeyID())
	good := revoked.Marshal()
	flagAt := 2 + len("ivy") + 32 + 8 + 8 + 8
	unflagged := bytes.Clone(good)
	unflagged[flagAt] = 0
	unknownFlag := bytes.Clone(good)
	unknownFlag[flagAt] = 3
	tests := []struct {
		name  string
		value []byte
		want  error
	}{
		{"revoked flag dropped", unflagged, ErrBadSignature},
		{"unknown flag", unknownFlag, ErrMalformedRecord},
		{"changed before created", resigned(t, r, func(u *UserRecord) { u.Changed = u.Created.Add(-time.Second) }), ErrMalformedRecord},
	}
	for _, tt := range tests {
		if err := ValidateUserRecord(key, tt.value); !errors.Is(err, tt.want) {
			t.Errorf("%s: ValidateUserRecord = %v, want %v", tt.name, err, tt.want)
		}
	}
}

func TestUserRecordV1StillValid(t *testing.T) {
	r, secret := newTestUser(t, "jack")
	v1 := resigned(t, r, func(u *UserRecord) { u.Version = UserRecordV1 })
	key := UserKey(r.AccessKeyID())
	if err := ValidateUserRecord(key, v1); err != nil {
		t.Fatalf("version-1 record: %v", err)
	}
	got, err := UnmarshalUserRecord(v1)
	if err != nil || got.Revoked || !got.Changed.Equal(got.Created) || len(v1) != len(r.Marshal())-9 {
		t.Fatalf("version-1 record decodes to %+v, %v", got, err)
	}
	if s, _, err := got.Open(testNetKey); err != nil || s != secret {
		t.Errorf("version-1 record opens to %q, %v", s, err)
	}
	next, _, err := got.Rotate(testNetKey)
	if err != nil || next.Version != UserRecordVersion {
		t.Fatalf("rotating a version-1 record = %+v, %v", next, err)
	}
	if i, _ := SelectUserRecord(key, [][]byte{next.Marshal(), v1}); i != 0 {
		t.Error("a version-2 successor does not beat its version-1 record")
	}
}
