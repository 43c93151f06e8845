package dht

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/d3s/d3s/dht/record"
	"github.com/libp2p/go-libp2p-kad-dht/records"
	p2precord "github.com/libp2p/go-libp2p-record"
)

// forgery is a record that must be refused under key: by the validator and
// the kad-dht value store where records are stored, and by the reader's
// accept where they are read. prior, when set, is a better record for the
// same key that the store and the reader already hold.
type forgery struct {
	name  string
	key   string
	value []byte
	prior []byte
	want  error // record.ErrStaleRecord for the replays, else the validation sentinel
}

func forgeries(t *testing.T) []forgery {
	t.Helper()
	alice, bob := newSigner(t), newSigner(t)
	headKey := record.CatalogHeadKey(alice.akid, "photos")
	good := alice.head("photos", 3, "a", "b").Marshal()
	flipped := bytes.Clone(good)
	flipped[len(flipped)-1] ^= 1
	wrongSigner := alice.head("photos", 3)
	wrongSigner.Signature = bob.head("photos", 3).Signature
	future := alice.head("photos", 4)
	future.Time.Wall = time.Now().Add(record.MaxClockSkew + time.Minute).UnixNano()
	future.Sign(alice.priv)
	big := alice.head("photos", 4, strings.Repeat("x", record.MaxBucketRecordSize))
	badVersion := bytes.Clone(good)
	badVersion[0] = 9
	tieA, tieB := alice.head("photos", 7, "one"), alice.head("photos", 7, "two")
	tieB.Time, tieB.Writer = tieA.Time, tieA.Writer
	tieB.Sign(alice.priv)
	winner, loser := tieA.Marshal(), tieB.Marshal()
	if i, _ := (record.Validator{}).Select(headKey, [][]byte{winner, loser}); i == 1 {
		winner, loser = loser, winner
	}
	user1, user2 := testUserRecords(t)
	revoked, resurrect := removedUser(t, user1)
	return []forgery{
		{"bad signature", headKey, flipped, nil, record.ErrBadSignature},
		{"wrong signer", headKey, wrongSigner.Marshal(), nil, record.ErrBadSignature},
		{"key not matching the access key", record.UserKey(bob.akid), user1.Marshal(), nil, record.ErrAccessKeyMismatch},
		{"under another user's namespace", record.BucketsKey(bob.akid), alice.list(1, "photos").Marshal(), nil, record.ErrAccessKeyMismatch},
		{"head under another user's namespace", record.CatalogHeadKey(bob.akid, "photos"), good, nil, record.ErrAccessKeyMismatch},
		{"oversized", headKey, big.Marshal(), nil, record.ErrRecordTooLarge},
		{"truncated", headKey, good[:len(good)-10], nil, record.ErrMalformedRecord},
		{"trailing bytes", headKey, append(bytes.Clone(good), 0), nil, record.ErrMalformedRecord},
		{"wrong type", headKey, alice.list(1, "photos").Marshal(), nil, record.ErrWrongRecordType},
		{"wrong version", headKey, badVersion, nil, record.ErrUnknownVersion},
		{"future-dated record.HLC", headKey, future.Marshal(), nil, record.ErrFutureRecord},
		{"bucket name mismatch", record.CatalogHeadKey(alice.akid, "videos"), good, nil, record.ErrBucketMismatch},
		{"empty", headKey, nil, nil, record.ErrMalformedRecord},
		{"garbage", record.BucketsKey(alice.akid), []byte{1, 2, 0xde, 0xad, 0xbe, 0xef}, nil, record.ErrMalformedRecord},
		{"unknown namespace", "/d3s/other/" + alice.akid, good, nil, record.ErrBadRecordKey},
		{"older head sequence replayed", headKey, alice.head("photos", 2).Marshal(), good, record.ErrStaleRecord},
		{"older bucket list replayed", record.BucketsKey(alice.akid), alice.list(1, "a-1").Marshal(), alice.list(2, "a-1", "b-2").Marshal(), record.ErrStaleRecord},
		{"older user record replayed", record.UserKey(user1.AccessKeyID()), user1.Marshal(), user2.Marshal(), record.ErrStaleRecord},
		{"user record replayed after removal", record.UserKey(user1.AccessKeyID()), user1.Marshal(), revoked, record.ErrStaleRecord},
		{"removal undone by a higher sequence", record.UserKey(user1.AccessKeyID()), resurrect, revoked, record.ErrStaleRecord},
		{"equal sequence, different content", headKey, loser, winner, record.ErrStaleRecord},
	}
}

// testUserRecords returns two records of one user, sequence 1 and 2.
func testUserRecords(t *testing.T) (record.UserRecord, record.UserRecord) {
	t.Helper()
	r1, _, err := record.NewUser("alice", record.NetworkKey{1})
	if err != nil {
		t.Fatal(err)
	}
	_, priv, err := r1.Open(record.NetworkKey{1})
	if err != nil {
		t.Fatal(err)
	}
	r2 := r1
	r2.Seq = 2
	// The user record signature covers "d3s user record v1\x00" and every
	// byte before the signature (record/doc.go); package record signs user
	// records only inside NewUser.
	enc := r2.Marshal()
	r2.Signature = ed25519.Sign(priv, append([]byte("d3s user record v1\x00"), enc[:len(enc)-ed25519.SignatureSize]...))
	if err := r2.VerifySignature(); err != nil {
		t.Fatal(err)
	}
	return r1, r2
}

// removedUser returns the record removing r's user (sequence r.Seq+1) and a
// record of sequence r.Seq+2 without the revoked flag, signed by the same
// key: the removal must win over both r and it.
func removedUser(t *testing.T, r record.UserRecord) (revoked, resurrect []byte) {
	t.Helper()
	rv, err := r.Revoke(record.NetworkKey{1})
	if err != nil {
		t.Fatal(err)
	}
	r2, _, err := r.Rotate(record.NetworkKey{1})
	if err != nil {
		t.Fatal(err)
	}
	r3, _, err := r2.Rotate(record.NetworkKey{1})
	if err != nil {
		t.Fatal(err)
	}
	return rv.Marshal(), r3.Marshal()
}

func TestForgedRecordsRejectedWhereStored(t *testing.T) {
	db := openTestDB(t, t.TempDir())
	for i, f := range forgeries(t) {
		t.Run(f.name, func(t *testing.T) {
			v := NewRecordValidator()
			if f.prior == nil {
				if err := v.Validate(f.key, f.value); !errors.Is(err, f.want) {
					t.Fatalf("Validate = %v, want %v", err, f.want)
				}
			}
			store := records.NewValueStore(NewDatastore(db, "test/"+string(rune('a'+i))), v, time.Hour)
			if f.prior != nil {
				if err := store.Put(t.Context(), f.key, p2precord.MakePutRecord(f.key, f.prior)); err != nil {
					t.Fatalf("store the better record: %v", err)
				}
			}
			err := store.Put(t.Context(), f.key, p2precord.MakePutRecord(f.key, f.value))
			if err == nil {
				t.Fatal("value store accepted the forged record")
			}
			if f.prior != nil && !errors.Is(err, records.ErrOldRecord) {
				t.Fatalf("value store Put = %v, want ErrOldRecord", err)
			}
			got, err := store.Get(t.Context(), f.key)
			if err != nil || (got == nil) != (f.prior == nil) || got != nil && !bytes.Equal(got.GetValue(), f.prior) {
				t.Fatalf("value store holds %v (%v), want the better record", got, err)
			}
		})
	}
}

func TestForgedRecordsRejectedWhereRead(t *testing.T) {
	for _, f := range forgeries(t) {
		t.Run(f.name, func(t *testing.T) {
			// Each case gets its own seen store, so one case's memory does
			// not decide another's.
			d := &DHT{validator: NewRecordValidator(), seen: seenStore{db: openTestDB(t, t.TempDir())}}
			if f.prior != nil {
				if _, err := d.accept(f.key, f.prior); err != nil {
					t.Fatalf("accept the better record: %v", err)
				}
			}
			got, err := d.accept(f.key, f.value)
			if !errors.Is(err, f.want) {
				t.Fatalf("accept = %v, want %v", err, f.want)
			}
			if f.prior != nil && !bytes.Equal(got, f.prior) {
				t.Fatal("reader did not keep the better record")
			}
		})
	}
}
