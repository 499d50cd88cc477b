package dubbo2

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wirekit/wirekit/parser"
	"github.com/wirekit/wirekit/pcaptest"
)

// segment is one TCP payload of a capture, in capture order.
type segment struct {
	client, server string // ip:port; client = the connection's initiator
	dir            parser.Direction
	data           []byte
	ts             time.Time
}

// readSegments reads the TCP payloads of a loopback capture (no loss, no
// retransmissions in the corpus), telling the client from the SYN.
func readSegments(t testing.TB, path string) []segment {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	rd, err := pcapgo.NewReader(f)
	require.NoError(t, err)
	clients := map[string]bool{} // ip:port of initiators
	var out []segment
	for {
		data, ci, err := rd.ReadPacketData()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		pkt := gopacket.NewPacket(data, rd.LinkType(), gopacket.DecodeOptions{Lazy: true, NoCopy: true})
		var src, dst net.IP
		switch ip := pkt.NetworkLayer().(type) {
		case *layers.IPv4:
			src, dst = ip.SrcIP, ip.DstIP
		case *layers.IPv6:
			src, dst = ip.SrcIP, ip.DstIP
		default:
			continue
		}
		tcp, ok := pkt.TransportLayer().(*layers.TCP)
		if !ok {
			continue
		}
		a := net.JoinHostPort(src.String(), strconv.Itoa(int(tcp.SrcPort)))
		b := net.JoinHostPort(dst.String(), strconv.Itoa(int(tcp.DstPort)))
		if tcp.SYN && !tcp.ACK {
			clients[a] = true
		}
		if len(tcp.Payload) == 0 {
			continue
		}
		s := segment{data: append([]byte(nil), tcp.Payload...), ts: ci.Timestamp}
		if clients[a] {
			s.client, s.server, s.dir = a, b, parser.Request
		} else {
			s.client, s.server, s.dir = b, a, parser.Response
		}
		out = append(out, s)
	}
	return out
}

// exchange is an exchange reduced to what the truth files hold.
type exchange struct {
	Client   string         `json:"client"`
	Server   string         `json:"server"`
	Request  map[string]any `json:"request"`
	Response map[string]any `json:"response"`
}

// runCorpus feeds a capture through parser.Conn (one per connection) and
// returns every exchange with all attributes.
func runCorpus(t testing.TB, proto *parser.Protocol, path string) ([]exchange, []parser.ConnStats) {
	segs := readSegments(t, path)
	conns := map[string]*parser.Conn{}
	var order []string
	var out []exchange
	for _, s := range segs {
		c := conns[s.client]
		if c == nil {
			client, server := s.client, s.server
			c = parser.NewConn(proto, parser.ConnOptions{}, func(e *parser.Exchange) {
				x := exchange{Client: client, Server: server}
				if e.Request != nil {
					x.Request = ownedMap(e.Request)
				}
				if e.Response != nil {
					x.Response = ownedMap(e.Response)
				}
				assert.NoError(t, e.RequestErr, "request error on %s", client)
				assert.NoError(t, e.ResponseErr, "response error on %s", client)
				out = append(out, x)
			})
			conns[s.client] = c
			order = append(order, s.client)
		}
		c.Feed(s.dir, s.data, s.ts)
	}
	var stats []parser.ConnStats
	for _, k := range order {
		conns[k].Close(time.Time{})
		stats = append(stats, conns[k].Stats())
	}
	return out, stats
}

// ownedMap is Attributes.Map with string values copied: the attributes
// alias buffers the Conn reuses after the callback.
func ownedMap(a *parser.Attributes) map[string]any {
	m := a.Map()
	for k, v := range m {
		if s, ok := v.(string); ok {
			m[k] = strings.Clone(s)
		}
	}
	return m
}

// readTruth reads a truth file.
func readTruth(t testing.TB, path string) []exchange {
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	var out []exchange
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var x exchange
		require.NoError(t, json.Unmarshal(sc.Bytes(), &x))
		out = append(out, x)
	}
	require.NoError(t, sc.Err())
	return out
}

// normalize turns JSON numbers (float64) and Go ints into int64, for comparison.
func normalize(v any) any {
	switch x := v.(type) {
	case float64:
		return int64(x)
	case int:
		return int64(x)
	}
	return v
}

// identity keys an exchange by connection and request id.
func identity(x exchange) string {
	id := any(nil)
	if x.Request != nil {
		id = normalize(x.Request[AttrRequestID])
	} else if x.Response != nil {
		id = normalize(x.Response[AttrRequestID])
	}
	return fmt.Sprintf("%s|%v", x.Client, id)
}

// TestCorpusTruth checks every exchange of the dubbo-go capture against
// the truth file, field by field: request id, serialization id, two-way,
// event, service, method, version of every request, and request id and
// status of every response, pairing included (4 calls answered out of
// order on one connection, heartbeats on idle pooled connections).
func TestCorpusTruth(t *testing.T) {
	for _, opts := range []Options{{}, {DecodeAttachments: true, DecodeArguments: true}} {
		t.Run(fmt.Sprintf("attachments=%v", opts.DecodeAttachments), func(t *testing.T) {
			base := pcaptest.Corpus("dubbo2_dubbogo_userprovider")
			got, stats := runCorpus(t, NewProtocol(opts), base+".pcap")
			want := readTruth(t, base+".truth.jsonl")
			require.Len(t, got, len(want))
			gotBy := map[string]exchange{}
			for _, g := range got {
				k := identity(g)
				require.NotContains(t, gotBy, k, "duplicate exchange")
				gotBy[k] = g
			}
			fields := 0
			for _, w := range want {
				g, ok := gotBy[identity(w)]
				require.True(t, ok, "missing exchange %s", identity(w))
				assert.Equal(t, w.Server, g.Server)
				for half, wm := range map[string][2]map[string]any{"request": {w.Request, g.Request}, "response": {w.Response, g.Response}} {
					if wm[0] == nil {
						assert.Nil(t, wm[1], half)
						continue
					}
					require.NotNil(t, wm[1], "%s of %s", half, identity(w))
					for k, v := range wm[0] {
						assert.Equal(t, normalize(v), normalize(wm[1][k]), "%s %s of %s", half, k, identity(w))
						fields++
					}
				}
			}
			t.Logf("%d exchanges, %d truth fields agree", len(want), fields)
			for _, s := range stats {
				assert.Zero(t, s.ParseErrors[0]+s.ParseErrors[1])
				assert.Zero(t, s.Unanswered+s.Unmatched+s.OneWay)
				assert.Zero(t, s.SkippedBytes[0]+s.SkippedBytes[1])
			}
		})
	}
}

// TestCorpusDetails checks what the truth files do not hold but the
// capture's client log states: the exception results of Fail and
// NoSuchMethod, argument types, heartbeats and attachments.
func TestCorpusDetails(t *testing.T) {
	base := pcaptest.Corpus("dubbo2_dubbogo_userprovider")
	got, _ := runCorpus(t, NewProtocol(Options{DecodeAttachments: true, DecodeArguments: true}), base+".pcap")
	sort.Slice(got, func(i, j int) bool { return identity(got[i]) < identity(got[j]) })
	byMethod := map[string][]exchange{}
	heartbeats := 0
	for _, g := range got {
		assert.NotContains(t, g.Request, AttrDecodeError)
		assert.NotContains(t, g.Response, AttrDecodeError)
		if g.Request[AttrEvent] == true {
			heartbeats++
			assert.Equal(t, true, g.Request[AttrHeartbeat])
			assert.Equal(t, true, g.Response[AttrEvent])
			assert.Equal(t, true, g.Response[AttrHeartbeat])
			continue
		}
		m, _ := g.Request[AttrMethod].(string)
		byMethod[m] = append(byMethod[m], g)
		assert.Equal(t, "2.0.2", g.Request[AttrDubboVersion])
		assert.Equal(t, "org.corpus.dubbo.UserProvider", g.Request[AttrInterface])
		assert.Equal(t, int64(0), g.Request[AttrTimeout])
		assert.Equal(t, "OK", g.Response[AttrStatusName])
	}
	assert.Equal(t, 9, heartbeats)

	fail := byMethod["Fail"][0]
	assert.Equal(t, "exception_with_attachments", fail.Response[AttrResponseType])
	assert.Equal(t, "java.lang.Throwable", fail.Response[AttrExceptionClass])
	assert.Equal(t, "provider refused: quota exceeded", fail.Response[AttrExceptionMessage])
	assert.Equal(t, `["quota exceeded"]`, fail.Request[AttrArguments])

	nsm := byMethod["NoSuchMethod"][0]
	assert.Equal(t, "java.lang.Throwable", nsm.Response[AttrExceptionClass])
	assert.Equal(t, "cannot find method [NoSuchMethod] of service [org.corpus.dubbo.UserProvider] in dubbo", nsm.Response[AttrExceptionMessage])

	add := byMethod["AddAge"]
	require.Len(t, add, 5)
	assert.Equal(t, "II", add[0].Request[AttrParameterTypes])
	assert.Equal(t, int64(2), add[0].Request[AttrArgumentCount])
	for _, g := range add {
		if g.Request[AttrRequestID] == int64(6) {
			assert.Equal(t, `[20,22]`, g.Request[AttrArguments])
		}
	}
	assert.Equal(t, "value_with_attachments", add[0].Response[AttrResponseType])

	save := byMethod["SaveUser"][0]
	assert.Equal(t, "Lorg/corpus/dubbo/User;", save.Request[AttrParameterTypes])
	assert.JSONEq(t, `[{"_class":"org.corpus.dubbo.User","iD":"u-002","name":"Bob","age":41,"tags":["x"]}]`, save.Request[AttrArguments].(string))

	count := byMethod["CountNames"][0]
	assert.Equal(t, `[["ann","ben","cid"]]`, count.Request[AttrArguments])

	big := byMethod["SayHello"]
	require.Len(t, big, 3)
	skipped := 0
	for _, g := range big {
		if n, ok := g.Request[AttrArgumentsSkipped]; ok {
			skipped++
			assert.Greater(t, n, int64(80000)) // the 80 KB string, over MaxArgumentBytes
		}
	}
	assert.Equal(t, 1, skipped)
	assert.JSONEq(t, `{"interface":"org.corpus.dubbo.UserProvider","path":"org.corpus.dubbo.UserProvider","retries":"","timeout":"0","version":"1.0.0"}`,
		byMethod["GetUser"][0].Request[AttrAttachments].(string))
}
