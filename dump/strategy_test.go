package dump

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseStrategy(t *testing.T) {
	tests := []struct {
		name, doc string
		want      Strategy
		field     string // "" = valid; else the failing field or "json"
	}{
		{"layotto example", `{"switch": "ON", "interval": 30, "duration": 10, "cpu_max_rate": 80, "mem_max_rate": 80}`,
			Strategy{SwitchOn, 30, 10, 80, 80}, ""},
		{"defaults", `{}`, DefaultStrategy(), ""},
		{"partial", `{"switch":"ON","duration":5,"cpu_max_rate":50.5}`, Strategy{SwitchOn, 30, 5, 50.5, 80}, ""},
		{"continuous", `{"switch":"ON","interval":7,"duration":7}`, Strategy{SwitchOn, 7, 7, 80, 80}, ""},
		{"lower-case switch", `{"switch":"on"}`, Strategy{}, "switch"},
		{"interval zero", `{"interval":0}`, Strategy{}, "interval"},
		{"interval huge", `{"interval":999999999}`, Strategy{}, "interval"},
		{"duration over interval", `{"interval":5,"duration":6}`, Strategy{}, "duration"},
		{"duration negative", `{"duration":-1}`, Strategy{}, "duration"},
		{"cpu zero", `{"cpu_max_rate":0}`, Strategy{}, "cpu_max_rate"},
		{"cpu over 100", `{"cpu_max_rate":100.1}`, Strategy{}, "cpu_max_rate"},
		{"mem negative", `{"mem_max_rate":-5}`, Strategy{}, "mem_max_rate"},
		{"unknown field", `{"switch":"ON","sample_rate":1}`, Strategy{}, "json"},
		{"wrong type", `{"interval":"30"}`, Strategy{}, "json"},
		{"fractional interval", `{"interval":1.5}`, Strategy{}, "json"},
		{"trailing data", `{"switch":"ON"}{}`, Strategy{}, "json"},
		{"not an object", `["ON"]`, Strategy{}, "json"},
		{"empty", ``, Strategy{}, "json"},
		{"too large", `{"switch":"ON"` + strings.Repeat(" ", MaxStrategySize) + `}`, Strategy{}, "json"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseStrategy([]byte(tc.doc))
			if tc.field == "" {
				require.NoError(t, err)
				assert.Equal(t, tc.want, got)
				return
			}
			require.ErrorIs(t, err, ErrInvalidStrategy)
			var se *StrategyError
			if tc.field == "json" {
				assert.False(t, errors.As(err, &se), "decoding error, not a field error: %v", err)
			} else {
				require.ErrorAs(t, err, &se)
				assert.Equal(t, tc.field, se.Field)
			}
		})
	}
}

func TestStrategyJSONRoundTrip(t *testing.T) {
	s := Strategy{SwitchOn, 60, 15, 75.5, 90}
	b, err := s.MarshalJSON()
	require.NoError(t, err)
	assert.JSONEq(t, `{"switch":"ON","interval":60,"duration":15,"cpu_max_rate":75.5,"mem_max_rate":90}`, string(b))
	back, err := ParseStrategy(b)
	require.NoError(t, err)
	assert.Equal(t, s, back)
}
