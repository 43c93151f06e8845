package record

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"regexp"
	"strings"
	"testing"
)

var testNetKey = NetworkKey{1, 2, 3, 4, 5, 6, 7, 8}

func newTestUser(t testing.TB, name string) (UserRecord, string) {
	t.Helper()
	r, secret, err := NewUser(name, testNetKey)
	if err != nil {
		t.Fatalf("NewUser(%q): %v", name, err)
	}
	return r, secret
}

func TestUserRecordRoundTrip(t *testing.T) {
	r, secret := newTestUser(t, "alice@example.com")
	if !regexp.MustCompile(`^[A-Za-z0-9+/]{40}$`).MatchString(secret) {
		t.Errorf("secret %q is not 40 characters of [A-Za-z0-9+/]", secret)
	}
	akid := r.AccessKeyID()
	if !regexp.MustCompile(`^[A-Z2-7]{20}$`).MatchString(akid) {
		t.Errorf("access key ID %q is not 20 base32 characters", akid)
	}
	data := r.Marshal()
	if err := ValidateUserRecord(UserKey(akid), data); err != nil {
		t.Fatalf("ValidateUserRecord: %v", err)
	}
	got, err := UnmarshalUserRecord(data)
	if err != nil {
		t.Fatalf("UnmarshalUserRecord: %v", err)
	}
	if got.Name != r.Name || !got.Created.Equal(r.Created) || got.Seq != 1 || got.AccessKeyID() != akid {
		t.Errorf("round trip: got %+v, want %+v", got, r)
	}
	if !bytes.Equal(got.Marshal(), data) {
		t.Error("re-marshalled record differs from the original encoding")
	}
	gotSecret, priv, err := got.Open(testNetKey)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if gotSecret != secret || !priv.Public().(ed25519.PublicKey).Equal(r.PublicKey) {
		t.Errorf("Open = %q and a key for %x, want %q and %x", gotSecret, priv.Public(), secret, r.PublicKey)
	}
}

func TestNewUsersDiffer(t *testing.T) {
	a, sa := newTestUser(t, "a")
	b, sb := newTestUser(t, "a")
	if a.AccessKeyID() == b.AccessKeyID() || sa == sb {
		t.Error("two users got the same access key or secret")
	}
}

func TestNewUserRejectsBadNames(t *testing.T) {
	for _, name := range []string{"", strings.Repeat("x", 65), "bob smith", "bob/x", "é"} {
		if _, _, err := NewUser(name, testNetKey); !errors.Is(err, ErrInvalidUserName) {
			t.Errorf("NewUser(%q) error = %v, want ErrInvalidUserName", name, err)
		}
	}
	if _, _, err := NewUser(strings.Repeat("x", 64), testNetKey); err != nil {
		t.Errorf("NewUser(64 chars): %v", err)
	}
}

// resigned returns r changed by mutate and signed again by its own key, to
// build records whose only fault is the one mutate introduced.
func resigned(t *testing.T, r UserRecord, mutate func(*UserRecord)) []byte {
	t.Helper()
	_, priv, err := r.Open(testNetKey)
	if err != nil {
		t.Fatal(err)
	}
	mutate(&r)
	r.sign(priv)
	return r.Marshal()
}

func TestValidateUserRecordRejects(t *testing.T) {
	r, _ := newTestUser(t, "bob")
	other, _ := newTestUser(t, "carol")
	key := UserKey(r.AccessKeyID())
	good := r.Marshal()
	flip := func(i int) []byte {
		b := bytes.Clone(good)
		b[i] ^= 0x20 // keeps the name valid: b -> B
		return b
	}
	tests := []struct {
		name  string
		key   string
		value []byte
		want  error
	}{
		{"tampered signature", key, flip(len(good) - 1), ErrBadSignature},
		{"tampered name", key, flip(2), ErrBadSignature},
		{"tampered sequence", key, flip(2 + 3 + 32 + 8 + 7), ErrBadSignature},
		{"another user's key path", UserKey(other.AccessKeyID()), good, ErrAccessKeyMismatch},
		{"another user's record", key, other.Marshal(), ErrAccessKeyMismatch},
		{"wrong namespace", "/d3s/bucket/" + r.AccessKeyID(), good, ErrBadRecordKey},
		{"malformed access key", UserNamespace + "abc", good, ErrBadRecordKey},
		{"truncated", key, good[:len(good)-1], ErrMalformedRecord},
		{"truncated in name", key, good[:3], ErrMalformedRecord},
		{"trailing bytes", key, append(bytes.Clone(good), 0), ErrMalformedRecord},
		{"empty", key, nil, ErrMalformedRecord},
		{"oversized", key, append(bytes.Clone(good), make([]byte, MaxUserRecordSize)...), ErrRecordTooLarge},
		{"wrong version", key, append([]byte{3}, good[1:]...), ErrUnknownVersion},
		{"version zero", key, append([]byte{0}, good[1:]...), ErrUnknownVersion},
		{"bad name", key, resigned(t, r, func(r *UserRecord) { r.Name = "bad name" }), ErrInvalidUserName},
		{"empty name", key, resigned(t, r, func(r *UserRecord) { r.Name = "" }), ErrInvalidUserName},
		{"short seal", key, resigned(t, r, func(r *UserRecord) { r.Sealed = r.Sealed[:10] }), ErrMalformedRecord},
		{"zero sequence", key, resigned(t, r, func(r *UserRecord) { r.Seq = 0 }), ErrMalformedRecord},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := ValidateUserRecord(tt.key, tt.value); !errors.Is(err, tt.want) {
				t.Errorf("ValidateUserRecord = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestOpenRejects(t *testing.T) {
	r, _ := newTestUser(t, "dave")
	other, _ := newTestUser(t, "erin")
	swapped := r
	swapped.Sealed = other.Sealed
	tests := []struct {
		name string
		rec  UserRecord
		key  NetworkKey
	}{
		{"wrong network key", r, NetworkKey{9}},
		{"seal of another user", swapped, testNetKey},
		{"short seal", UserRecord{Name: "x", PublicKey: r.PublicKey, Sealed: r.Sealed[:5]}, testNetKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if secret, _, err := tt.rec.Open(tt.key); !errors.Is(err, ErrSealOpen) {
				t.Errorf("Open = %q, %v, want ErrSealOpen", secret, err)
			}
		})
	}
}

func TestSelectUserRecord(t *testing.T) {
	r, _ := newTestUser(t, "frank")
	key := UserKey(r.AccessKeyID())
	v1 := r.Marshal()
	v2 := resigned(t, r, func(r *UserRecord) { r.Seq = 2 })
	forged := bytes.Clone(v2)
	forged[len(forged)-1] ^= 1
	tests := []struct {
		name   string
		values [][]byte
		want   int
	}{
		{"highest sequence first", [][]byte{v2, v1}, 0},
		{"highest sequence last", [][]byte{v1, v2}, 1},
		{"forged never wins", [][]byte{forged, v1}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := SelectUserRecord(key, tt.values)
			if err != nil || got != tt.want {
				t.Errorf("SelectUserRecord = %d, %v, want %d", got, err, tt.want)
			}
		})
	}
	if _, err := (UserValidator{}).Select(key, [][]byte{forged}); !errors.Is(err, ErrNoRecords) {
		t.Errorf("Select(only invalid) error = %v, want ErrNoRecords", err)
	}
}

func TestAccessKeyIDIsDeterministic(t *testing.T) {
	pub := make(ed25519.PublicKey, ed25519.PublicKeySize)
	// Pinned so that a change of derivation, which would orphan every
	// existing user, cannot go unnoticed.
	const want = "I2W6YAPFKLQSCM4Y6AAY"
	if got := AccessKeyID(pub); got != want {
		t.Errorf("AccessKeyID(zero key) = %s, want %s", got, want)
	}
}

func FuzzUnmarshalUserRecord(f *testing.F) {
	r, _ := newTestUser(f, "fuzz")
	good := r.Marshal()
	f.Add(good)
	f.Add(good[:40])
	f.Add([]byte{1})
	f.Add([]byte{1, 64})
	f.Add([]byte{})
	key := UserKey(r.AccessKeyID())
	f.Fuzz(func(t *testing.T, data []byte) {
		rec, err := UnmarshalUserRecord(data)
		if err != nil {
			return
		}
		if !bytes.Equal(rec.Marshal(), data) {
			t.Fatalf("decoded record re-encodes differently")
		}
		if ValidateUserRecord(key, data) == nil && !bytes.Equal(data, good) {
			t.Fatalf("a record other than the signed one validated")
		}
	})
}
