package limit

import "testing"

func TestOr(t *testing.T) {
	for _, tc := range []struct{ v, def, want int }{
		{0, 7, 7}, {-1, 7, 7}, {1, 7, 1}, {100, 7, 100},
	} {
		if got := Or(tc.v, tc.def); got != tc.want {
			t.Errorf("Or(%d, %d) = %d, want %d", tc.v, tc.def, got, tc.want)
		}
	}
	if got := Or(int64(0), 1<<40); got != 1<<40 {
		t.Errorf("Or(int64(0), 1<<40) = %d", got)
	}
}
