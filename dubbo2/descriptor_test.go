package dubbo2

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestCountParams checks countParams against ArgumentTypes (which steps
// with descType) on every descriptor of up to six characters over the
// alphabet that matters, and on a few real ones.
func TestCountParams(t *testing.T) {
	check := func(d string) {
		t.Helper()
		types, wantOK := ArgumentTypes(d)
		n, ok := countParams([]byte(d))
		assert.Equal(t, wantOK, ok, "%q", d)
		if ok {
			assert.Equal(t, len(types), n, "%q", d)
		}
	}
	for _, d := range []string{"", "Ljava/lang/String;", "Ljava/lang/String;I[Lorg/x/User;", "[[J", "IJDZ", "L;", "Lx", "[", "X", "Lx;Q"} {
		check(d)
	}
	const alphabet = "[LI;xZ"
	var buf [6]byte
	var gen func(n int)
	gen = func(n int) {
		check(string(buf[:n]))
		if n == len(buf) {
			return
		}
		for i := 0; i < len(alphabet); i++ {
			buf[n] = alphabet[i]
			gen(n + 1)
		}
	}
	gen(0)
}
