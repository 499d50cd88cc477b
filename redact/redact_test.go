package redact_test

import (
	"encoding/binary"
	"encoding/json"
	"strings"
	"testing"

	hessian "github.com/apache/dubbo-go-hessian2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wirekit/wirekit/dubbo2"
	"github.com/wirekit/wirekit/httpx"
	"github.com/wirekit/wirekit/parser"
	"github.com/wirekit/wirekit/redact"
	"github.com/wirekit/wirekit/redis"
)

// The built-in classes name the protocol packages' attributes by their
// spelling; these must stay the packages' constants.
func TestBuiltinKeysAreTheProtocolsConstants(t *testing.T) {
	p := redact.New(redact.Default)
	for key, want := range map[string]redact.Class{
		httpx.AttrPath:                 redact.Target,
		httpx.AttrHeaderPrefix + "x-a": redact.Named,
		dubbo2.AttrArguments:           redact.JSON,
		dubbo2.AttrAttachments:         redact.JSON,
		dubbo2.AttrExceptionMessage:    redact.Message,
		redis.AttrError:                redact.Reply,
		redis.AttrKey:                  redact.Plain,
		redis.AttrCommand:              redact.Plain,
		httpx.AttrMethod:               redact.Plain,
	} {
		got, _ := p.ClassOf(key)
		assert.Equal(t, want, got, key)
	}
}

func parseHTTP(t *testing.T, opts httpx.Options, raw string) *parser.Message {
	t.Helper()
	proto, err := httpx.NewProtocol(opts)
	require.NoError(t, err)
	m := new(parser.Message)
	require.True(t, proto.ParseRequest(m, []byte(raw), proto.NewState()), "parse: %v", m.Err)
	return m
}

func TestHTTPQueryAndHeaders(t *testing.T) {
	m := parseHTTP(t, httpx.Options{ExtraHeaders: []string{"Authorization", "X-Api-Key", "X-Request-Id"}},
		"GET /login?user=ann&password=hunter2&access_token=abc&pass%77ord=x&q=a%20b&flag HTTP/1.1\r\n"+
			"Host: example\r\nAuthorization: Bearer eyJhbGciOi\r\nX-Api-Key: k-123\r\nX-Request-Id: r-1\r\n\r\n")
	tests := []struct {
		level               redact.Level
		path, auth, key, id string
	}{
		{redact.Off, "/login?user=ann&password=hunter2&access_token=abc&pass%77ord=x&q=a%20b&flag", "Bearer eyJhbGciOi", "k-123", "r-1"},
		{redact.Default, "/login?user=ann&password=***&access_token=***&pass%77ord=***&q=a%20b&flag", "***", "***", "r-1"},
		{redact.Strict, "/login?user=***&password=***&access_token=***&pass%77ord=***&q=***&flag=***", "***", "***", "r-1"},
	}
	for _, tt := range tests {
		p := redact.New(tt.level)
		var out parser.Attributes
		out.CopyFrom(&m.Attrs)
		p.Apply(&out, nil)
		path, _ := out.String(httpx.AttrPath)
		auth, _ := out.String(httpx.AttrHeaderPrefix + "authorization")
		key, _ := out.String(httpx.AttrHeaderPrefix + "x-api-key")
		id, _ := out.String(httpx.AttrHeaderPrefix + "x-request-id")
		assert.Equal(t, tt.path, path, tt.level.String())
		assert.Equal(t, tt.auth, auth, tt.level.String())
		assert.Equal(t, tt.key, key, tt.level.String())
		assert.Equal(t, tt.id, id, tt.level.String())
		host, _ := out.String(httpx.AttrHost)
		assert.Equal(t, "example", host)

		// The JSON writer gives the same values.
		var got map[string]any
		require.NoError(t, json.Unmarshal(p.AppendJSON(nil, &m.Attrs), &got))
		assert.Equal(t, tt.path, got[httpx.AttrPath], tt.level.String())
		assert.Equal(t, tt.auth, got[httpx.AttrHeaderPrefix+"authorization"], tt.level.String())
	}
}

func TestRedisErrorEchoingArguments(t *testing.T) {
	proto := redis.Protocol()
	m := new(parser.Message)
	reply := "-ERR unknown command 'AUTHX', with args beginning with: 'hunter2' 'secret two' \r\n"
	require.True(t, proto.ParseResponse(m, []byte(reply), nil, nil), "%v", m.Err)
	for level, want := range map[redact.Level]string{
		redact.Off:     "ERR unknown command 'AUTHX', with args beginning with: 'hunter2' 'secret two' ",
		redact.Default: "ERR unknown command 'AUTHX', with args beginning with: 'hunter2' 'secret two' ",
		redact.Strict:  "ERR unknown command '***', with args beginning with: '***' '***' ",
	} {
		var out parser.Attributes
		out.CopyFrom(&m.Attrs)
		redact.New(level).Apply(&out, nil)
		got, _ := out.String(redis.AttrError)
		assert.Equal(t, want, got, level.String())
	}
}

// account is a Java POJO argument with a password field.
type account struct {
	User     string
	Password string
}

func (account) JavaClassName() string { return "org.wirekit.test.Account" }

func init() { hessian.RegisterPOJO(&account{}) }

func dubboRequest(t *testing.T, args []any, attachments map[string]any) []byte {
	t.Helper()
	e := hessian.NewEncoder()
	for _, v := range append(append([]any{"2.0.2", "org.wirekit.Login", "1.0.0", "login", "Lorg/wirekit/test/Account;"}, args...), attachments) {
		require.NoError(t, e.Encode(v))
	}
	body := e.Buffer()
	b := make([]byte, dubbo2.HeaderLen, dubbo2.HeaderLen+len(body))
	b[0], b[1], b[2], b[3] = 0xda, 0xbb, dubbo2.FlagRequest|dubbo2.FlagTwoWay|byte(dubbo2.Hessian2), 0
	binary.BigEndian.PutUint64(b[4:], 2)
	binary.BigEndian.PutUint32(b[12:], uint32(len(body)))
	return append(b, body...)
}

func TestDubboAttachmentsAndArguments(t *testing.T) {
	msg := dubboRequest(t, []any{&account{User: "ann", Password: "hunter2"}}, map[string]any{
		"auth": "a1", "jwt": "eyJ", "pwd": "p1", "bearer": "b1", "sign": "s1", "privkey": "k1",
		"Access-Token": "t1", "interface": "org.wirekit.Login", "traceId": "tr-1",
	})
	proto := dubbo2.NewProtocol(dubbo2.Options{DecodeAttachments: true, DecodeArguments: true})
	m := new(parser.Message)
	require.True(t, proto.ParseRequest(m, msg, nil), "%v", m.Err)
	p := redact.New(redact.Default)
	var out parser.Attributes
	out.CopyFrom(&m.Attrs)
	p.Apply(&out, nil)

	att, _ := out.String(dubbo2.AttrAttachments)
	var atts map[string]any
	require.NoError(t, json.Unmarshal([]byte(att), &atts), att)
	for _, k := range []string{"auth", "jwt", "pwd", "bearer", "sign", "privkey", "Access-Token"} {
		assert.Equal(t, redact.Mask, atts[k], "attachment %s: %s", k, att)
	}
	assert.Equal(t, "tr-1", atts["traceId"])
	assert.Equal(t, "org.wirekit.Login", atts["interface"])

	args, _ := out.String(dubbo2.AttrArguments)
	assert.NotContains(t, args, "hunter2", args)
	assert.Contains(t, args, `"ann"`, args)
	assert.Contains(t, args, `"***"`, args)
}

func TestJSONRenderings(t *testing.T) {
	p := redact.New(redact.Default)
	var a parser.Attributes
	for in, want := range map[string]string{
		`[{"user":"ann","password":"x","nested":{"apiKey":[1,2],"ok":true}},"plain"]`: `[{"user":"ann","password":"***","nested":{"apiKey":"***","ok":true}},"plain"]`,
		`{"Token":{"deep":{"x":1}}, "n": -1.5e3, "z": null}`:                          `{"Token":"***","n":-1.5e3,"z":null}`,
		`{"pass\u0077ord":"x"}`: `{"pass\u0077ord":"***"}`,
		`{"a":`:                 redact.Mask, // not JSON: masked whole
		`{"a":1} trailing`:      redact.Mask,
		strings.Repeat("[", 100) + strings.Repeat("]", 100): redact.Mask, // deeper than the walk goes
	} {
		a.Reset()
		a.SetString(dubbo2.AttrArguments, in)
		p.Apply(&a, nil)
		got, _ := a.String(dubbo2.AttrArguments)
		assert.Equal(t, want, got, in)
	}
}

func TestExceptionMessageStrict(t *testing.T) {
	var a parser.Attributes
	a.SetString(dubbo2.AttrExceptionMessage, "login failed for password hunter2")
	redact.New(redact.Default).Apply(&a, nil)
	got, _ := a.String(dubbo2.AttrExceptionMessage)
	assert.Equal(t, "login failed for password hunter2", got)
	redact.New(redact.Strict).Apply(&a, nil)
	got, _ = a.String(dubbo2.AttrExceptionMessage)
	assert.Equal(t, redact.Mask, got)
}

func TestLevelsParse(t *testing.T) {
	for s, want := range map[string]redact.Level{"off": redact.Off, "default": redact.Default, "STRICT": redact.Strict} {
		got, err := redact.ParseLevel(s)
		require.NoError(t, err)
		assert.Equal(t, want, got)
	}
	_, err := redact.ParseLevel("max")
	assert.ErrorIs(t, err, redact.ErrLevel)
	var l redact.Level
	require.NoError(t, json.Unmarshal([]byte(`"strict"`), &l))
	assert.Equal(t, redact.Strict, l)
}

func TestSensitiveAllocatesNothing(t *testing.T) {
	p := redact.New(redact.Default)
	assert.True(t, p.Sensitive("X-Api-KEY"))
	assert.False(t, p.Sensitive("traceparent"))
	assert.Zero(t, testing.AllocsPerRun(100, func() { p.Sensitive("X-Request-Identifier-Long-Name") }))
}
