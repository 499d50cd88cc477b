package dubbo2

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	hessian "github.com/apache/dubbo-go-hessian2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// libJSON turns what dubbo-go-hessian2 decodes into the JSON the walker
// renders, so the two can be compared.
func libJSON(v any) any {
	v = hessian.EnsureRawAny(v)
	switch x := v.(type) {
	case nil, bool, string, int32, int64, float64:
		return x
	case []byte:
		return base64.StdEncoding.EncodeToString(x)
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	case map[any]any:
		out := map[string]any{}
		for k, e := range x {
			out[fmt.Sprint(k)] = libJSON(e)
		}
		return out
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			out[k] = libJSON(e)
		}
		return out
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Slice {
		out := make([]any, rv.Len())
		for i := range out {
			out[i] = libJSON(rv.Index(i).Interface())
		}
		return out
	}
	return fmt.Sprintf("unexpected %T", v)
}

// TestJSONAgainstLibrary renders values encoded by dubbo-go-hessian2 and
// compares with the library's own decoding of the same bytes.
func TestJSONAgainstLibrary(t *testing.T) {
	values := []any{
		"", "plain", "été 获取 😀", strings.Repeat("long string ", 3000),
		int32(0), int32(-16), int32(47), int32(-2048), int32(2047), int32(-262144), int32(262143), int32(math.MaxInt32), int32(math.MinInt32),
		int64(0), int64(-8), int64(15), int64(-2048), int64(2047), int64(-262144), int64(262143), int64(math.MaxInt32), int64(math.MinInt64),
		0.0, 1.0, -128.0, 127.0, -32768.0, 32767.0, 12.25, 3.14159, -1e300, math.SmallestNonzeroFloat64,
		true, false, nil,
		[]byte{}, []byte("bin"), make([]byte, 1000), make([]byte, 70000),
		time.UnixMilli(1700000000123), time.Unix(1700000040, 0),
		[]any{int32(1), "two", nil, []any{3.5}},
		[]string{"a", "b"}, []int32{1, 2, 3}, []int64{4},
		map[string]any{"k": "v", "n": int32(1), "nested": map[string]any{"x": []any{}}},
		map[any]any{int32(7): "seven", "s": true},
	}
	for _, v := range values {
		b := encode(t, v)
		lib, err := hessian.NewDecoder(b).Decode()
		require.NoError(t, err, "%T", v)
		want, err := json.Marshal(libJSON(lib))
		require.NoError(t, err)

		var w walker
		w.reset(b, DefaultMaxDepth)
		w.jsonValue()
		require.NoError(t, w.r.Err(), "%T %.40v", v, v)
		assert.Equal(t, len(b), w.r.Offset())
		assert.JSONEq(t, string(want), string(w.out), "%T %.40v", v, v)
	}
}

// TestJSONObjects renders Java objects: a class the library does not know
// becomes a map with "_class" in both, and a repeated object is a
// back-reference.
func TestJSONObjects(t *testing.T) {
	// class x.Point {a, b}; two instances; then a reference to the first.
	b := []byte{'C', 0x07, 'x', '.', 'P', 'o', 'i', 'n', 't', 0x92, 0x01, 'a', 0x01, 'b',
		0x7a, // fixed untyped list of 2
		0x60, 0x91, 0x01, 's',
		0x60, 0x92, 'N'}
	lib, err := hessian.NewDecoder(b).Decode()
	require.NoError(t, err)
	want, _ := json.Marshal(libJSON(lib))
	var w walker
	w.reset(b, DefaultMaxDepth)
	w.jsonValue()
	require.NoError(t, w.r.Err())
	assert.JSONEq(t, string(want), string(w.out))
	assert.JSONEq(t, `[{"_class":"x.Point","a":1,"b":"s"},{"_class":"x.Point","a":2,"b":null}]`, string(w.out))

	u := &testUser{ID: "u1"}
	b = encode(t, []any{u, u})
	w.reset(b, DefaultMaxDepth)
	w.jsonValue()
	require.NoError(t, w.r.Err())
	assert.JSONEq(t, `[{"_class":"org.wirekit.test.User","iD":"u1","name":"","age":0,"tags":null},{"$ref":1}]`, string(w.out))
}
