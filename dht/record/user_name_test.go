package record

import (
	"maps"
	"testing"
	"time"
)

func TestNameConflicts(t *testing.T) {
	t0 := time.Unix(1_800_000_000, 0).UTC()
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	// claim returns a user called "kim" created at c, removed at removed
	// (never if < 0).
	claim := func(c, removed int) UserRecord {
		r, _ := newTestUser(t, "kim")
		r.Created, r.Changed = at(c), at(c)
		if removed >= 0 {
			r.Revoked, r.Changed = true, at(removed)
		}
		return r
	}
	a, b := claim(1, -1), claim(2, -1)
	tie1, tie2 := claim(5, -1), claim(5, -1)
	if tie2.AccessKeyID() < tie1.AccessKeyID() {
		tie1, tie2 = tie2, tie1
	}
	aGone, late, lateB := claim(1, 3), claim(4, -1), claim(2, -1)
	aLostLate := claim(1, 9)
	tests := []struct {
		name string
		recs []UserRecord
		want map[string]string
	}{
		{"one user", []UserRecord{a}, map[string]string{}},
		{"later claim loses", []UserRecord{b, a}, map[string]string{b.AccessKeyID(): a.AccessKeyID()}},
		{"same time: lower access key wins", []UserRecord{tie2, tie1}, map[string]string{tie2.AccessKeyID(): tie1.AccessKeyID()}},
		{"name free after removal", []UserRecord{late, aGone}, map[string]string{}},
		{"removal after the later claim frees nothing", []UserRecord{aLostLate, lateB}, map[string]string{lateB.AccessKeyID(): aLostLate.AccessKeyID()}},
		{"a loser does not hold the name", []UserRecord{aGone, claim(2, -1), late}, nil},
	}
	for _, tt := range tests {
		got := NameConflicts(tt.recs)
		if tt.want == nil { // the last case: only the middle claim loses
			if len(got) != 1 || got[tt.recs[1].AccessKeyID()] != aGone.AccessKeyID() {
				t.Errorf("%s: NameConflicts = %v", tt.name, got)
			}
			continue
		}
		if !maps.Equal(got, tt.want) {
			t.Errorf("%s: NameConflicts = %v, want %v", tt.name, got, tt.want)
		}
	}
}
