package dht

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p-kad-dht/records"
	record "github.com/libp2p/go-libp2p-record"
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
	want  error // ErrStaleRecord for the replays, else the validation sentinel
}

func forgeries(t *testing.T) []forgery {
	t.Helper()
	alice, bob := newSigner(t), newSigner(t)
	headKey := CatalogHeadKey(alice.akid, "photos")
	good := alice.head("photos", 3, "a", "b").Marshal()
	flipped := bytes.Clone(good)
	flipped[len(flipped)-1] ^= 1
	wrongSigner := alice.head("photos", 3)
	wrongSigner.Signature = bob.head("photos", 3).Signature
	future := alice.head("photos", 4)
	future.Time.Wall = time.Now().Add(MaxClockSkew + time.Minute).UnixNano()
	future.Sign(alice.priv)
	big := alice.head("photos", 4, strings.Repeat("x", MaxBucketRecordSize))
	badVersion := bytes.Clone(good)
	badVersion[0] = 9
	tieA, tieB := alice.head("photos", 7, "one"), alice.head("photos", 7, "two")
	tieB.Time, tieB.Writer = tieA.Time, tieA.Writer
	tieB.Sign(alice.priv)
	winner, loser := tieA.Marshal(), tieB.Marshal()
	if i, _ := (Validator{}).Select(headKey, [][]byte{winner, loser}); i == 1 {
		winner, loser = loser, winner
	}
	user1, user2 := testUserRecords(t)
	return []forgery{
		{"bad signature", headKey, flipped, nil, ErrBadSignature},
		{"wrong signer", headKey, wrongSigner.Marshal(), nil, ErrBadSignature},
		{"key not matching the access key", UserKey(bob.akid), user1.Marshal(), nil, ErrAccessKeyMismatch},
		{"under another user's namespace", BucketsKey(bob.akid), alice.list(1, "photos").Marshal(), nil, ErrAccessKeyMismatch},
		{"head under another user's namespace", CatalogHeadKey(bob.akid, "photos"), good, nil, ErrAccessKeyMismatch},
		{"oversized", headKey, big.Marshal(), nil, ErrRecordTooLarge},
		{"truncated", headKey, good[:len(good)-10], nil, ErrMalformedRecord},
		{"trailing bytes", headKey, append(bytes.Clone(good), 0), nil, ErrMalformedRecord},
		{"wrong type", headKey, alice.list(1, "photos").Marshal(), nil, ErrWrongRecordType},
		{"wrong version", headKey, badVersion, nil, ErrUnknownVersion},
		{"future-dated HLC", headKey, future.Marshal(), nil, ErrFutureRecord},
		{"bucket name mismatch", CatalogHeadKey(alice.akid, "videos"), good, nil, ErrBucketMismatch},
		{"empty", headKey, nil, nil, ErrMalformedRecord},
		{"garbage", BucketsKey(alice.akid), []byte{1, 2, 0xde, 0xad, 0xbe, 0xef}, nil, ErrMalformedRecord},
		{"unknown namespace", "/d3s/other/" + alice.akid, good, nil, ErrBadRecordKey},
		{"older head sequence replayed", headKey, alice.head("photos", 2).Marshal(), good, ErrStaleRecord},
		{"older bucket list replayed", BucketsKey(alice.akid), alice.list(1, "a-1").Marshal(), alice.list(2, "a-1", "b-2").Marshal(), ErrStaleRecord},
		{"older user record replayed", UserKey(user1.AccessKeyID()), user1.Marshal(), user2.Marshal(), ErrStaleRecord},
		{"equal sequence, different content", headKey, loser, winner, ErrStaleRecord},
	}
}

// testUserRecords returns two records of one user, sequence 1 and 2.
func testUserRecords(t *testing.T) (UserRecord, UserRecord) {
	t.Helper()
	r1, _, err := NewUser("alice", NetworkKey{1})
	if err != nil {
		t.Fatal(err)
	}
	_, priv, err := r1.Open(NetworkKey{1})
	if err != nil {
		t.Fatal(err)
	}
	r2 := r1
	r2.Seq = 2
	r2.sign(priv)
	return r1, r2
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
				if err := store.Put(t.Context(), f.key, record.MakePutRecord(f.key, f.prior)); err != nil {
					t.Fatalf("store the better record: %v", err)
				}
			}
			err := store.Put(t.Context(), f.key, record.MakePutRecord(f.key, f.value))
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

func TestSelectIsDeterministic(t *testing.T) {
	alice := newSigner(t)
	key := CatalogHeadKey(alice.akid, "photos")
	a, b, c := alice.head("photos", 5, "x").Marshal(), alice.head("photos", 5, "y").Marshal(), alice.head("photos", 6).Marshal()
	v := Validator{}
	for _, order := range [][][]byte{{a, b, c}, {c, b, a}, {b, c, a}, {[]byte("junk"), c, a}} {
		i, err := v.Select(key, order)
		if err != nil || !bytes.Equal(order[i], c) {
			t.Fatalf("Select picked %d (%v), want the highest sequence", i, err)
		}
	}
	i1, _ := v.Select(key, [][]byte{a, b})
	i2, _ := v.Select(key, [][]byte{b, a})
	if !bytes.Equal([][]byte{a, b}[i1], [][]byte{b, a}[i2]) {
		t.Fatal("equal sequences: Select depends on the order of values")
	}
	if i, _ := v.Select(key, [][]byte{a, bytes.Clone(a)}); i != 0 {
		t.Fatal("a record compared with itself was displaced")
	}
	if _, err := v.Select(key, [][]byte{[]byte("junk")}); !errors.Is(err, ErrNoRecords) {
		t.Fatalf("Select of no valid record = %v, want ErrNoRecords", err)
	}
}
