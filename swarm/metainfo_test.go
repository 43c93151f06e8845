package swarm

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"testing"

	"github.com/anacrolix/torrent/metainfo"
)

func TestMetaInfoVerifiesAgainstData(t *testing.T) {
	s := newSwarm(t)
	cases := []struct {
		name  string
		parts []int // more than one: a Concat object
	}{
		{"empty", []int{0}},
		{"inline", []int{1000}},
		{"file", []int{3<<20 + 7}},
		{"concat", []int{1 << 20, 33 << 10}},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var data []byte
			var ids []ID
			for j, n := range tc.parts {
				b := randBytes(uint64(10*i+j), n)
				data = append(data, b...)
				ids = append(ids, mustPut(t, s, b).ID)
			}
			id := ids[0]
			if len(ids) > 1 {
				obj, err := s.Concat(t.Context(), ids)
				if err != nil {
					t.Fatalf("Concat: %v", err)
				}
				id = obj.ID
			}
			checkMetaInfo(t, s, id, data)
		})
	}
	if _, err := s.MetaInfo(t.Context(), ID{9}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("MetaInfo of missing object: %v, want ErrNotFound", err)
	}
}

func checkMetaInfo(t *testing.T, s *testSwarm, id ID, data []byte) {
	t.Helper()
	raw, err := s.MetaInfo(t.Context(), id)
	if err != nil {
		t.Fatalf("MetaInfo: %v", err)
	}
	mi, err := metainfo.Load(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("parse metainfo: %v", err)
	}
	if ID(mi.HashInfoBytes()) != id || mi.Announce != "" || len(mi.AnnounceList) != 0 {
		t.Fatalf("infohash %s announce %q %v; want %s, no trackers", mi.HashInfoBytes(), mi.Announce, mi.AnnounceList, id)
	}
	info, err := mi.UnmarshalInfo()
	if err != nil {
		t.Fatalf("unmarshal info: %v", err)
	}
	st, _ := s.Stat(t.Context(), id)
	if info.Length != int64(len(data)) || info.Name != hex.EncodeToString(st.SHA256[:]) || len(info.Files) != 0 {
		t.Fatalf("info length %d name %s files %d; want %d %x single file", info.Length, info.Name, len(info.Files), len(data), st.SHA256)
	}
	if info.NumPieces() != int((int64(len(data))+info.PieceLength-1)/info.PieceLength) {
		t.Fatalf("%d pieces of %d for %d bytes", info.NumPieces(), info.PieceLength, len(data))
	}
	for i := range info.NumPieces() {
		p := data[int64(i)*info.PieceLength : min(int64(i+1)*info.PieceLength, int64(len(data)))]
		if sum := sha1.Sum(p); !bytes.Equal(sum[:], info.Pieces[i*20:i*20+20]) {
			t.Fatalf("piece %d hash does not match the data", i)
		}
	}
}
