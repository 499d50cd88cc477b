package dump

import (
	"encoding/json"
	"errors"
	"testing"
)

// FuzzParseStrategy: any input either parses into a strategy that
// validates and survives a JSON round trip unchanged, or fails with
// ErrInvalidStrategy; never a panic.
func FuzzParseStrategy(f *testing.F) {
	for _, s := range []string{
		`{"switch":"ON","interval":30,"duration":10,"cpu_max_rate":80,"mem_max_rate":80}`,
		`{"switch":"OFF"}`, `{}`, `{"interval":1,"duration":1}`, `{"switch":"ON","interval":0}`,
		`{"cpu_max_rate":1e308}`, `{"switch":"ON"} {}`, `[]`, `{"bogus":1}`, `{"interval":1.5}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		s, err := ParseStrategy(doc)
		if err != nil {
			if !errors.Is(err, ErrInvalidStrategy) {
				t.Fatalf("error %v does not wrap ErrInvalidStrategy", err)
			}
			return
		}
		if err := s.Validate(); err != nil {
			t.Fatalf("parsed strategy does not validate: %v", err)
		}
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		s2, err := ParseStrategy(b)
		if err != nil || s2 != s {
			t.Fatalf("round trip: %+v -> %s -> %+v, %v", s, b, s2, err)
		}
	})
}
