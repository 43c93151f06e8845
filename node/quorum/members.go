package quorum

import (
	"crypto/sha256"
	"encoding/binary"
	"slices"

	"github.com/libp2p/go-libp2p/core/peer"
)

// maxLearned bounds the members learned from others' answers.
const maxLearned = 4096

// memberSet returns the members this node knows, itself included:
// Config.Members and those learned from answers, sorted, without
// duplicates.
func (q *Quorum) memberSet() []peer.ID {
	ms := append([]peer.ID{q.self}, q.members()...) // never into the slice Members returned
	q.mu.Lock()
	for p := range q.learned {
		ms = append(ms, p)
	}
	q.mu.Unlock()
	ms = slices.DeleteFunc(ms, func(p peer.ID) bool { return p == "" })
	slices.Sort(ms)
	return slices.Compact(ms)
}

// learn adds ms to the members this node knows from now on; it
// reports whether one of them was new.
func (q *Quorum) learn(ms ...peer.ID) bool {
	q.mu.Lock()
	fresh := slices.DeleteFunc(slices.Clone(ms), func(p peer.ID) bool {
		_, ok := q.learned[p]
		return ok || p == q.self || p.Validate() != nil
	})
	q.mu.Unlock()
	if len(fresh) == 0 {
		return false
	}
	known := q.memberSet()
	q.mu.Lock()
	defer q.mu.Unlock()
	added := false
	for _, p := range fresh {
		if len(q.learned) >= maxLearned {
			break
		}
		// a member already known is kept too, so that the next
		// request from it costs no lookup
		q.learned[p] = struct{}{}
		if _, found := slices.BinarySearch(known, p); !found {
			added = true
		}
	}
	return added
}

// grew reports whether this node knows a member that is not in ms
// (sorted).
func (q *Quorum) grew(ms []peer.ID) bool {
	for _, p := range q.memberSet() {
		if _, found := slices.BinarySearch(ms, p); !found {
			return true
		}
	}
	return false
}

// digest sums a sorted member set: 8 bytes of the SHA-256 of the
// length-prefixed IDs, then their count (4 bytes).
func digest(ms []peer.ID) [digestSize]byte {
	h := sha256.New()
	for _, p := range ms {
		h.Write(binary.BigEndian.AppendUint16(nil, uint16(len(p))))
		h.Write([]byte(p))
	}
	var d [digestSize]byte
	copy(d[:8], h.Sum(nil))
	binary.BigEndian.PutUint32(d[8:], uint32(len(ms)))
	return d
}

// majority is how many of n members make a quorum.
func majority(n int) int { return n/2 + 1 }
