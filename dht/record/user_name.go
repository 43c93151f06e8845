package record

import (
	"slices"
	"strings"
)

// User names are unique in a network, and no registry or extra record
// decides it: a user record is itself a signed, dated claim of its name.
// Two nodes that cannot see each other may still create one name at once;
// when their records meet, every node applies NameConflicts to the same
// records and reaches the same verdict: the earlier claim keeps the name,
// the later one loses it for good, and its keys are refused.

// NameConflicts returns, for the records of the users called one name, the
// users that lost the name: their access key ID mapped to that of the user
// holding the name when they were created. Claims are taken in the order
// of creation time, then access key ID. A claim loses when an earlier
// claim that did not lose itself was not yet revoked when it was made: a
// removed user's name is free again for users created after the removal,
// and a user that lost its name never frees it. The verdict depends only
// on the set of records, so all nodes agree once they hold the same ones.
func NameConflicts(recs []UserRecord) map[string]string {
	order := slices.Clone(recs)
	slices.SortFunc(order, claimOrder)
	lost := make(map[string]string)
	var holders []UserRecord // claims that did not lose, in claim order
	for _, r := range order {
		if w, ok := heldAt(holders, r); ok {
			lost[r.AccessKeyID()] = w.AccessKeyID()
			continue
		}
		holders = append(holders, r)
	}
	return lost
}

// heldAt returns a holder whose claim stood when r was made: one created
// before r and not revoked by then.
func heldAt(holders []UserRecord, r UserRecord) (UserRecord, bool) {
	for _, h := range holders {
		if h.AccessKeyID() == r.AccessKeyID() {
			continue
		}
		if !h.Revoked || h.Changed.After(r.Created) {
			return h, true
		}
	}
	return UserRecord{}, false
}

// claimOrder orders name claims: the earlier creation time first, then the
// lower access key ID.
func claimOrder(a, b UserRecord) int {
	if c := a.Created.Compare(b.Created); c != 0 {
		return c
	}
	return strings.Compare(a.AccessKeyID(), b.AccessKeyID())
}
