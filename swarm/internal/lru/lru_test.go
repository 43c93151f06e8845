package lru

import (
	"slices"
	"testing"
	"time"
)

// pin is a download with a settable number of users.
type pin struct{ users int }

func (p *pin) Users() int { return p.users }

func id(b byte) ID { return ID{b} }

func TestIndexEvictsLeastRecentlyUsed(t *testing.T) {
	x := New(20)
	x.Restore([]Entry{{ID: id(2), Size: 10, At: 2}, {ID: id(1), Size: 10, At: 1}})
	x.Add(id(3), 10, 3, nil)
	if n, bytes := x.Stats(); n != 3 || bytes != 30 {
		t.Fatalf("Stats = %d, %d; want 3, 30", n, bytes)
	}
	if got, ok, _ := x.Victim(nil); !ok || got != id(1) {
		t.Fatalf("Victim = %v, %v; want the oldest, %v", got, ok, id(1))
	}
	x.Touch(id(1))
	if got, ok, _ := x.Victim(nil); !ok || got != id(2) {
		t.Fatalf("after touching 1, Victim = %v, %v; want %v", got, ok, id(2))
	}
	if got, ok, _ := x.Victim(map[ID]bool{id(2): true}); !ok || got != id(3) {
		t.Fatalf("with 2 failed, Victim = %v, %v; want %v", got, ok, id(3))
	}
	x.Forget(id(2))
	if _, ok, _ := x.Victim(nil); ok {
		t.Fatal("a victim within the budget")
	}
	ids := x.IDs()
	slices.SortFunc(ids, func(a, b ID) int { return int(a[0]) - int(b[0]) })
	if !slices.Equal(ids, []ID{id(1), id(3)}) {
		t.Fatalf("IDs = %v", ids)
	}
}

func TestIndexPinAndGrace(t *testing.T) {
	x := New(0)
	p := &pin{users: 1}
	x.Add(id(1), 10, 1, p)
	if _, ok, retry := x.Victim(nil); ok || !retry.IsZero() {
		t.Fatalf("pinned object: ok %v, retry %v; want neither", ok, retry)
	}
	p.users = 0
	_, ok, retry := x.Victim(nil)
	if ok || retry.IsZero() || time.Until(retry) > UnpinGrace {
		t.Fatalf("unpinned object: ok %v, retry in %v; want a retry within %v", ok, time.Until(retry), UnpinGrace)
	}
}

func TestIndexDirtyAndSaved(t *testing.T) {
	x := New(100)
	x.Restore([]Entry{{ID: id(1), Size: 1, At: 5}})
	x.Add(id(2), 1, 7, nil)
	if got := x.Dirty(false); !slices.Equal(got, []Stamp{{id(2), 7}}) {
		t.Fatalf("Dirty = %v; want only the added object", got)
	}
	if got := x.Dirty(false); len(got) != 0 {
		t.Fatalf("Dirty again = %v; want none", got)
	}
	if !x.Touch(id(1)) {
		t.Fatal("Touch of an object whose time was written long ago is not to be written")
	}
	got := x.Dirty(true)
	if len(got) != 2 {
		t.Fatalf("Dirty(all) = %v; want both objects (2 was never saved)", got)
	}
	x.Saved(got)
	if got := x.Dirty(true); len(got) != 0 {
		t.Fatalf("Dirty(all) after Saved = %v; want none", got)
	}
	if x.Touch(id(1)) {
		t.Fatal("a Touch within TouchPersistEvery of the written time is to be written")
	}
}
