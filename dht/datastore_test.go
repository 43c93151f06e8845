package dht

import (
	"errors"
	"slices"
	"testing"

	ds "github.com/ipfs/go-datastore"
	dsq "github.com/ipfs/go-datastore/query"
)

func TestDatastore(t *testing.T) {
	ctx := t.Context()
	d := NewDatastore(openTestDB(t, t.TempDir()), "test/kv")
	for _, k := range []string{"/a/1", "/a/2", "/ab/3", "/b/4"} {
		if err := d.Put(ctx, ds.NewKey(k), []byte("v"+k)); err != nil {
			t.Fatal(err)
		}
	}
	if v, err := d.Get(ctx, ds.NewKey("/a/2")); err != nil || string(v) != "v/a/2" {
		t.Fatalf("Get = %q, %v", v, err)
	}
	if _, err := d.Get(ctx, ds.NewKey("/zz")); err != ds.ErrNotFound {
		t.Fatalf("Get of a missing key = %v, want ds.ErrNotFound itself", err)
	}
	if n, err := d.GetSize(ctx, ds.NewKey("/b/4")); err != nil || n != 5 {
		t.Fatalf("GetSize = %d, %v", n, err)
	}
	if err := d.Delete(ctx, ds.NewKey("/b/4")); err != nil {
		t.Fatal(err)
	}
	if ok, err := d.Has(ctx, ds.NewKey("/b/4")); ok || err != nil {
		t.Fatalf("Has after Delete = %v, %v", ok, err)
	}
	if got := queryKeys(t, d, dsq.Query{Prefix: "/a"}); !slices.Equal(got, []string{"/a/1", "/a/2"}) {
		t.Fatalf("Query /a = %v, want only keys under /a/", got)
	}
	if got := queryKeys(t, d, dsq.Query{KeysOnly: true, Limit: 2, Offset: 1}); !slices.Equal(got, []string{"/a/2", "/ab/3"}) {
		t.Fatalf("Query offset 1 limit 2 = %v", got)
	}
}

func TestDatastoreBatch(t *testing.T) {
	ctx := t.Context()
	d := NewDatastore(openTestDB(t, t.TempDir()), "test/kv")
	if err := d.Put(ctx, ds.NewKey("/old"), []byte("x")); err != nil {
		t.Fatal(err)
	}
	b, err := d.Batch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	b.Put(ctx, ds.NewKey("/new"), []byte("1"))
	b.Delete(ctx, ds.NewKey("/old"))
	b.Put(ctx, ds.NewKey("/gone"), []byte("2"))
	b.Delete(ctx, ds.NewKey("/gone"))
	if ok, _ := d.Has(ctx, ds.NewKey("/new")); ok {
		t.Fatal("batch visible before Commit")
	}
	if err := b.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if got := queryKeys(t, d, dsq.Query{}); !slices.Equal(got, []string{"/new"}) {
		t.Fatalf("after Commit: %v, want [/new]", got)
	}
}

func queryKeys(t *testing.T, d *Datastore, q dsq.Query) []string {
	t.Helper()
	res, err := d.Query(t.Context(), q)
	if err != nil {
		t.Fatal(err)
	}
	entries, err := res.Rest()
	if err != nil && !errors.Is(err, ds.ErrNotFound) {
		t.Fatal(err)
	}
	var keys []string
	for _, e := range entries {
		keys = append(keys, e.Key)
	}
	return keys
}
