package record

import (
	"bytes"
	"fmt"
	"strings"
)

// ValidateUserRecord checks a user record found under DHT key key: its size,
// version and field bounds, that key is UserKey of the access key derived
// from the record's public key, and the record's signature. Errors wrap
// ErrRecordTooLarge, ErrUnknownVersion, ErrMalformedRecord,
// ErrInvalidUserName, ErrBadRecordKey, ErrAccessKeyMismatch or
// ErrBadSignature. It needs no network key: any peer can validate any
// record, only members can open it.
func ValidateUserRecord(key string, value []byte) error {
	_, err := parseUserRecord(key, value)
	return err
}

// parseUserRecord is ValidateUserRecord returning the decoded record.
func parseUserRecord(key string, value []byte) (UserRecord, error) {
	akid, ok := strings.CutPrefix(key, UserNamespace)
	if !ok || !ValidAccessKeyID(akid) {
		return UserRecord{}, fmt.Errorf("user record key %q: %w", key, ErrBadRecordKey)
	}
	r, err := UnmarshalUserRecord(value)
	if err != nil {
		return UserRecord{}, err
	}
	if r.AccessKeyID() != akid {
		return UserRecord{}, fmt.Errorf("user record key %q: %w", key, ErrAccessKeyMismatch)
	}
	if err := r.VerifySignature(); err != nil {
		return UserRecord{}, err
	}
	return r, nil
}

// SelectUserRecord returns the index of the best of values for key. A
// revoked record beats every record that is not, so a removal is final:
// no replay of an older record, and no later record that drops the flag,
// can bring the user back. Otherwise the highest sequence number wins;
// ties go to the later change time, then the later creation time, then to
// the greater encoding, so every node picks the same record. Invalid
// values never win; if none is valid the error wraps ErrNoRecords.
func SelectUserRecord(key string, values [][]byte) (int, error) {
	best, bestRec := -1, UserRecord{}
	for i, v := range values {
		r, err := parseUserRecord(key, v)
		if err != nil {
			continue
		}
		if best < 0 || userRecordBetter(r, v, bestRec, values[best]) {
			best, bestRec = i, r
		}
	}
	if best < 0 {
		return 0, fmt.Errorf("select %s among %d: %w", key, len(values), ErrNoRecords)
	}
	return best, nil
}

// userRecordBetter reports whether a (encoded as av) beats b (encoded as bv).
func userRecordBetter(a UserRecord, av []byte, b UserRecord, bv []byte) bool {
	if a.Revoked != b.Revoked {
		return a.Revoked
	}
	if a.Seq != b.Seq {
		return a.Seq > b.Seq
	}
	if !a.Changed.Equal(b.Changed) {
		return a.Changed.After(b.Changed)
	}
	if !a.Created.Equal(b.Created) {
		return a.Created.After(b.Created)
	}
	return bytes.Compare(av, bv) > 0
}

// UserValidator is the record validator of the user namespace; it has the
// methods of libp2p's record.Validator.
type UserValidator struct{}

// Validate calls ValidateUserRecord.
func (UserValidator) Validate(key string, value []byte) error {
	return ValidateUserRecord(key, value)
}

// Select calls SelectUserRecord.
func (UserValidator) Select(key string, values [][]byte) (int, error) {
	return SelectUserRecord(key, values)
}
