package infodict

import "testing"

func TestPieceLengthRule(t *testing.T) {
	cases := []struct{ size, want int64 }{
		{0, 16 << 10},
		{32 << 20, 16 << 10},
		{32<<20 + 1, 32 << 10},
		{256 << 20, 128 << 10},
		{1 << 30, 512 << 10},
		{8 << 30, 4 << 20},
		{1 << 40, 16 << 20},
	}
	for _, c := range cases {
		if got := PieceLength(c.size); got != c.want {
			t.Errorf("PieceLength(%d) = %d, want %d", c.size, got, c.want)
		}
	}
}
