package parser

import (
	"encoding/json"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestAppendJSONString checks the JSON quoting against encoding/json: the
// output must be valid JSON that decodes to what encoding/json's own
// quoting of the same string decodes to (so invalid UTF-8 becomes U+FFFD
// alike), for hand-picked strings and random bytes.
func TestAppendJSONString(t *testing.T) {
	cases := []string{"", "plain", `q"b\s`, "\x00\x01\x1f\x7f", "<a&b>", "é ☃ 𝄞", "\xff", "a\xc3", "\xed\xa0\x80", "\u2028"}
	r := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		b := make([]byte, r.IntN(12))
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		cases = append(cases, string(b))
	}
	for _, s := range cases {
		got := AppendJSONString([]byte("x"), s)
		require.Equal(t, byte('x'), got[0])
		var fromOurs, fromStd string
		require.NoError(t, json.Unmarshal(got[1:], &fromOurs), "%q -> %s", s, got[1:])
		std, err := json.Marshal(s)
		require.NoError(t, err)
		require.NoError(t, json.Unmarshal(std, &fromStd))
		assert.Equal(t, fromStd, fromOurs, "%q", s)
	}
	assert.Equal(t, `"a\"b\\c\u0001"`, string(AppendJSONString(nil, "a\"b\\c\x01")))
}
