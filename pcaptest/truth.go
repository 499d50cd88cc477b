package pcaptest

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"

	"github.com/wirekit/wirekit/parser"
)

// TruthRow is one line of a ground-truth file (*.truth.jsonl): one
// exchange with the attributes the request and the response must have,
// named as the protocol packages name them. Response is nil when the
// request got no response.
type TruthRow struct {
	Protocol string         `json:"protocol"`
	Client   string         `json:"client"`
	Server   string         `json:"server"`
	Request  map[string]any `json:"request"`
	Response map[string]any `json:"response"`
}

// maxTruthLine bounds one truth line.
const maxTruthLine = 1 << 20

// ReadTruth reads a ground-truth file, one JSON object per line.
func ReadTruth(path string) ([]TruthRow, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var rows []TruthRow
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), maxTruthLine)
	for line := 1; sc.Scan(); line++ {
		if len(sc.Bytes()) == 0 {
			continue
		}
		var r TruthRow
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return nil, fmt.Errorf("pcaptest: %s:%d: %w", path, line, err)
		}
		rows = append(rows, r)
	}
	return rows, sc.Err()
}

// TruthValue returns attribute key of a as encoding/json decodes the same
// value from a truth file (ints as float64), so the two compare with ==
// or reflect.DeepEqual.
func TruthValue(a *parser.Attributes, key string) (any, bool) {
	v, ok := a.Get(key)
	if !ok {
		return nil, false
	}
	if v.Kind() == parser.KindInt {
		return float64(v.Int()), true
	}
	return v.Any(), true
}
