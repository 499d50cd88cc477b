package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	hessian "github.com/apache/dubbo-go-hessian2"
	"github.com/stretchr/testify/require"

	"github.com/wirekit/wirekit/dubbo2"
	"github.com/wirekit/wirekit/httpx"
	"github.com/wirekit/wirekit/redis"
)

// secretsCapture is a capture of three connections carrying secrets: an
// HTTP request with ?token=abc&page=2 and an Authorization header, a
// Dubbo2 call with an "auth" attachment, and a Redis error reply echoing
// the arguments of the command it refused.
func secretsCapture(t *testing.T) string {
	t.Helper()
	httpReq := "GET /search?token=abc&page=2 HTTP/1.1\r\nHost: shop\r\nAuthorization: Bearer s3cr3t\r\nAccept: */*\r\n\r\n"
	httpResp := "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
	redisReq := "*2\r\n$5\r\nAUTHX\r\n$7\r\nhunter2\r\n"
	redisResp := "-ERR unknown command 'AUTHX', with args beginning with: 'hunter2' \r\n"
	e := hessian.NewEncoder()
	for _, v := range []any{"2.0.2", "org.wirekit.Login", "1.0.0", "login", "Ljava/lang/String;", "ann",
		map[string]any{"auth": "tok-42", "traceId": "tr-1"}} {
		require.NoError(t, e.Encode(v))
	}
	dubboReq := dubboFrame(dubbo2.FlagRequest|dubbo2.FlagTwoWay|byte(dubbo2.Hessian2), 0, 7, e.Buffer())
	e = hessian.NewEncoder()
	require.NoError(t, e.Encode(int32(1))) // RESPONSE_VALUE
	require.NoError(t, e.Encode("welcome"))
	dubboResp := dubboFrame(byte(dubbo2.Hessian2), 20, 7, e.Buffer())
	cl := netip.MustParseAddr("10.1.0.1")
	sv := netip.MustParseAddr("10.1.0.2")
	capture := buildPcap(t, time.Date(2026, 12, 3, 6, 0, 0, 0, time.UTC),
		conversation{netip.AddrPortFrom(cl, 40001), netip.AddrPortFrom(sv, 8080),
			[]segment{{0, []byte(httpReq)}, {1, []byte(httpResp)}}},
		conversation{netip.AddrPortFrom(cl, 40002), netip.AddrPortFrom(sv, 20880),
			[]segment{{0, dubboReq}, {1, dubboResp}}},
		conversation{netip.AddrPortFrom(cl, 40003), netip.AddrPortFrom(sv, 6379),
			[]segment{{0, []byte(redisReq)}, {1, []byte(redisResp)}}})
	path := filepath.Join(t.TempDir(), "secrets.pcap")
	require.NoError(t, os.WriteFile(path, capture, 0o644))
	return path
}

func dubboFrame(flags, status byte, id uint64, body []byte) []byte {
	b := make([]byte, dubbo2.HeaderLen, dubbo2.HeaderLen+len(body))
	b[0], b[1], b[2], b[3] = 0xda, 0xbb, flags, status
	binary.BigEndian.PutUint64(b[4:], id)
	binary.BigEndian.PutUint32(b[12:], uint32(len(body)))
	return append(b, body...)
}

// TestRedactLevels: -redact masks in the table and in -json what package
// redact documents for each level, and -redact off prints the values as
// sent; the default is the default level.
func TestRedactLevels(t *testing.T) {
	path := secretsCapture(t)
	type want struct {
		path, auth, attachments, redisErr string
	}
	const echo = "ERR unknown command 'AUTHX', with args beginning with: 'hunter2' "
	levels := map[string]want{
		"off":     {"/search?token=abc&page=2", "Bearer s3cr3t", `{"auth":"tok-42","traceId":"tr-1"}`, echo},
		"default": {"/search?token=***&page=2", "***", `{"auth":"***","traceId":"tr-1"}`, echo},
		"strict": {"/search?token=***&page=***", "***", `{"auth":"***","traceId":"tr-1"}`,
			"ERR unknown command '***', with args beginning with: '***' "},
	}
	for level, w := range levels {
		for _, explicit := range []bool{true, false} {
			if !explicit && level != "default" {
				continue
			}
			args := []string{"-json", "-header", "Authorization", "-dubbo-decode", path}
			if explicit {
				args = append([]string{"-redact", level}, args...)
			}
			var out, errb bytes.Buffer
			require.Equal(t, 0, run(args, nil, &out, &errb), errb.String())
			got := map[string]map[string]map[string]any{}
			for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
				var r struct {
					Protocol          string
					Kind              string
					Request, Response map[string]any
				}
				require.NoError(t, json.Unmarshal([]byte(line), &r), line)
				require.Equal(t, "complete", r.Kind, line)
				got[r.Protocol] = map[string]map[string]any{"req": r.Request, "resp": r.Response}
			}
			require.Len(t, got, 3, out.String())
			require.Equal(t, w.path, got["http"]["req"][httpx.AttrPath], level)
			require.Equal(t, w.auth, got["http"]["req"][httpx.AttrHeaderPrefix+"authorization"], level)
			require.Equal(t, "GET", got["http"]["req"][httpx.AttrMethod], level)
			require.Equal(t, w.attachments, got["dubbo2"]["req"][dubbo2.AttrAttachments], level)
			require.Equal(t, `["ann"]`, got["dubbo2"]["req"][dubbo2.AttrArguments], level)
			require.Equal(t, "login", got["dubbo2"]["req"][dubbo2.AttrMethod], level)
			require.Equal(t, w.redisErr, got["redis"]["resp"][redis.AttrError], level)
			require.Equal(t, "AUTHX", got["redis"]["req"][redis.AttrCommand], level)
			if level != "off" {
				for _, secret := range []string{"abc", "s3cr3t", "tok-42"} {
					require.NotContains(t, out.String(), secret, level)
				}
			}

			// The table: the request column holds the path, the response
			// column the error reply, quoted.
			var table []string
			for _, a := range args {
				if a != "-json" {
					table = append(table, a)
				}
			}
			out.Reset()
			require.Equal(t, 0, run(table, nil, &out, &errb), errb.String())
			text := out.String()
			require.Contains(t, text, "GET "+w.path, level)
			require.Contains(t, text, `error "`+w.redisErr[:27], level) // the column is 40 wide
			if level == "strict" {
				require.NotContains(t, text, "hunter2")
			}
			if level != "off" {
				require.NotContains(t, text, "abc", level)
			}
		}
	}
	var out, errb bytes.Buffer
	require.Equal(t, 2, run([]string{"-redact", "some"}, nil, &out, &errb))
	require.Contains(t, errb.String(), "level must be off, default or strict")
}
