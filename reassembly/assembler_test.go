package reassembly

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	syn    = FlagSYN
	fin    = FlagFIN
	rst    = FlagRST
	cisn   = 1000
	sisn   = 5000
	c2s    = ClientToServer
	s2c    = ServerToClient
	noWait = -1
)

// handshake is a SYN, SYN+ACK, ACK opening with ISNs cisn and sisn.
var handshake = []pkt{
	{dir: c2s, seq: cisn, flags: syn},
	{dir: s2c, seq: sisn, flags: syn},
	{dir: c2s, seq: cisn + 1},
}

func with(pre []pkt, more ...pkt) []pkt {
	return append(append([]pkt{}, pre...), more...)
}

func TestAssemblerTable(t *testing.T) {
	tests := []struct {
		name     string
		opts     Options
		pkts     []pkt
		flush    bool
		c2s, s2c string
		events   []string // if set, the exact callback sequence
		stats    func(t *testing.T, st Stats)
		check    func(t *testing.T, s *Stream)
	}{
		{
			name: "in order both directions then FIN FIN",
			pkts: with(handshake,
				pkt{dir: c2s, seq: cisn + 1, data: "GET / HTTP/1.1\r\n\r\n"},
				pkt{dir: s2c, seq: sisn + 1, data: "HTTP/1.1 200 OK\r\n"},
				pkt{dir: s2c, seq: sisn + 18, data: "\r\n"},
				pkt{dir: c2s, seq: cisn + 19, flags: fin},
				pkt{dir: s2c, seq: sisn + 20, flags: fin},
				pkt{dir: c2s, seq: cisn + 20}, // the last ACK
			),
			c2s: "GET / HTTP/1.1\r\n\r\n", s2c: "HTTP/1.1 200 OK\r\n\r\n",
			events: []string{
				`1 client->server data "GET / HTTP/1.1\r\n\r\n"`,
				`1 server->client data "HTTP/1.1 200 OK\r\n"`,
				`1 server->client data "\r\n"`,
				`1 close fin`,
			},
			stats: func(t *testing.T, st Stats) {
				assert.Equal(t, uint64(1), st.ConnsOpened)
				assert.Equal(t, uint64(1), st.ConnsClosed)
				assert.Equal(t, uint64(1), st.Ignored, "the last ACK is ignored, not a new stream")
				assert.Equal(t, 0, st.Conns)
			},
		},
		{
			name: "out of order released when the hole fills",
			pkts: with(handshake,
				pkt{dir: c2s, seq: cisn + 7, data: "world"},
				pkt{dir: c2s, seq: cisn + 12, data: "!"},
				pkt{dir: c2s, seq: cisn + 1, data: "hello "},
			),
			c2s:    "hello world!",
			events: []string{`1 client->server data "hello "`, `1 client->server data "world"`, `1 client->server data "!"`},
			stats: func(t *testing.T, st Stats) {
				assert.Equal(t, uint64(2), st.OutOfOrder)
				assert.Equal(t, 0, st.Buffered)
			},
		},
		{
			name: "retransmission of delivered bytes is dropped and counted",
			pkts: with(handshake,
				pkt{dir: c2s, seq: cisn + 1, data: "abc"},
				pkt{dir: c2s, seq: cisn + 1, data: "abc"},
				pkt{dir: c2s, seq: cisn + 4, data: "def"},
			),
			c2s: "abcdef",
			stats: func(t *testing.T, st Stats) {
				assert.Equal(t, uint64(1), st.Retransmitted)
			},
		},
		{
			name: "first copy wins: delivered bytes over a later overlapping copy",
			pkts: with(handshake,
				pkt{dir: c2s, seq: cisn + 1, data: "abcd"},
				pkt{dir: c2s, seq: cisn + 3, data: "XXef"}, // overlaps "cd" with other bytes
			),
			c2s: "abcdef",
			stats: func(t *testing.T, st Stats) {
				assert.Equal(t, uint64(1), st.Overlaps)
			},
		},
		{
			name: "first copy wins: buffered bytes over a later in-order copy",
			pkts: with(handshake,
				pkt{dir: c2s, seq: cisn + 3, data: "cd"},     // buffered first
				pkt{dir: c2s, seq: cisn + 1, data: "abXXef"}, // covers the buffered range
			),
			c2s:    "abcdef",
			events: []string{`1 client->server data "ab"`, `1 client->server data "cd"`, `1 client->server data "ef"`},
		},
		{
			name: "first copy wins between two buffered copies",
			pkts: with(handshake,
				pkt{dir: c2s, seq: cisn + 4, data: "de"},
				pkt{dir: c2s, seq: cisn + 3, data: "cXXf"},
				pkt{dir: c2s, seq: cisn + 1, data: "ab"},
			),
			c2s: "abcdef",
		},
		{
			name: "sequence numbers wrap around",
			pkts: []pkt{
				{dir: c2s, seq: 0xfffffffd, flags: syn},
				{dir: s2c, seq: sisn, flags: syn},
				{dir: c2s, seq: 0xfffffffe, data: "ab"},
				{dir: c2s, seq: 2, data: "ef"}, // out of order, after the wrap
				{dir: c2s, seq: 0, data: "cd"},
				{dir: c2s, seq: 0xffffffff, data: "bc"}, // retransmission across the wrap
			},
			c2s: "abcdef",
			stats: func(t *testing.T, st Stats) {
				assert.Equal(t, uint64(1), st.Retransmitted)
			},
		},
		{
			// The first segment of a direction picked up mid-stream waits
			// for the connection's next segment (here the reply), so the
			// order of the two directions is kept.
			name: "picked up mid-stream delivers at the next segment",
			pkts: []pkt{
				{dir: c2s, seq: 777, data: "ET / HTTP/1.1\r\n"},
				{dir: s2c, seq: 9999, data: "HTTP/1.1 200"},
			},
			flush: true,
			c2s:   "ET / HTTP/1.1\r\n", s2c: "HTTP/1.1 200",
			events: []string{`1 client->server data "ET / HTTP/1.1\r\n"`, `1 server->client data "HTTP/1.1 200"`, `1 close flush`},

			check: func(t *testing.T, s *Stream) {
				assert.True(t, s.MidStream(c2s))
				assert.True(t, s.MidStream(s2c))
				assert.Equal(t, uint64(15), s.Offset(c2s))
			},
		},
		{
			name: "RST closes both directions and delivers buffered data with gaps",
			pkts: with(handshake,
				pkt{dir: c2s, seq: cisn + 1, data: "req"},
				pkt{dir: s2c, seq: sisn + 1, data: "re"},
				pkt{dir: s2c, seq: sisn + 5, data: "late"}, // hole of 2 bytes
				pkt{dir: c2s, seq: cisn + 4, flags: rst},
				pkt{dir: s2c, seq: sisn + 9, data: "after"}, // ignored: closed
			),
			c2s: "req", s2c: "re??late",
			events: []string{
				`1 client->server data "req"`,
				`1 server->client data "re"`,
				`1 server->client gap @2+2`,
				`1 server->client data "late"`,
				`1 close rst`,
			},
			stats: func(t *testing.T, st Stats) {
				assert.Equal(t, uint64(1), st.Ignored)
				assert.Equal(t, uint64(2), st.BytesLost)
				assert.Equal(t, uint64(1), st.ConnsOpened)
			},
		},
		{
			name: "a message over many segments is one byte stream whatever the ACKs say",
			pkts: func() []pkt {
				p := with(handshake)
				for i := 0; i < 50; i++ {
					p = append(p, pkt{dir: c2s, seq: cisn + 1 + uint32(i*4), data: "0123"})
					if i%7 == 0 { // the server acknowledges part of it
						p = append(p, pkt{dir: s2c, seq: sisn + 1})
					}
				}
				return p
			}(),
			c2s: strings.Repeat("0123", 50),
		},
		{
			name: "snaplen truncation is a gap of the missing bytes",
			pkts: with(handshake,
				pkt{dir: c2s, seq: cisn + 1, data: "abc", trunc: 5},
				pkt{dir: c2s, seq: cisn + 9, data: "xyz"},
			),
			c2s:    "abc?????xyz",
			events: []string{`1 client->server data "abc"`, `1 client->server gap @3+5`, `1 client->server data "xyz"`},
			stats: func(t *testing.T, st Stats) {
				assert.Equal(t, uint64(1), st.Truncated)
				assert.Equal(t, uint64(5), st.BytesLost)
			},
		},
		{
			name: "truncated segment buffered out of order",
			pkts: with(handshake,
				pkt{dir: c2s, seq: cisn + 4, data: "d", trunc: 2},
				pkt{dir: c2s, seq: cisn + 1, data: "abc"},
			),
			c2s: "abcd??",
		},
		{
			name: "a truncated copy counts as first: a later full copy does not undo its gap",
			pkts: with(handshake,
				pkt{dir: c2s, seq: cisn + 3, data: "c", trunc: 2}, // "cde" with "de" cut off
				pkt{dir: c2s, seq: cisn + 1, data: "abcdefg"},
			),
			c2s:    "abc??fg",
			events: []string{`1 client->server data "ab"`, `1 client->server data "c"`, `1 client->server gap @3+2`, `1 client->server data "fg"`},
		},
		{
			name: "hole skipped after HoleTimeout",
			opts: Options{HoleTimeout: time.Second},
			pkts: with(handshake,
				pkt{dir: c2s, seq: cisn + 1, data: "ab"},
				pkt{dir: c2s, seq: cisn + 6, data: "fg", at: 100 * time.Millisecond},
				pkt{dir: s2c, seq: sisn + 1, data: "x", at: 1500 * time.Millisecond},
			),
			c2s: "ab???fg", s2c: "x",
			events: []string{
				`1 client->server data "ab"`,
				`1 client->server gap @2+3`,
				`1 client->server data "fg"`,
				`1 server->client data "x"`,
			},
			stats: func(t *testing.T, st Stats) {
				assert.Equal(t, uint64(1), st.HoleTimeouts)
			},
		},
		{
			name: "hole skipped when the connection buffers too much",
			opts: Options{MaxBufferedPerConn: 2*PendingOverhead + 10, HoleTimeout: noWait},
			pkts: with(handshake,
				pkt{dir: c2s, seq: cisn + 3, data: "cdefgh"},
				pkt{dir: c2s, seq: cisn + 11, data: "klmnop"}, // over the limit: first hole goes
			),
			// Only as much is given up as needed: "klmnop" still waits.
			c2s:    "??cdefgh",
			events: []string{`1 client->server gap @0+2`, `1 client->server data "cdefgh"`},
			stats: func(t *testing.T, st Stats) {
				assert.Equal(t, uint64(1), st.LimitSkips)
				assert.Equal(t, PendingOverhead+64, st.Buffered) // 6 bytes in a 64-byte buffer
			},
		},
		{
			name: "idle connection closed by capture time",
			opts: Options{IdleTimeout: time.Minute},
			pkts: with(handshake,
				pkt{dir: c2s, seq: cisn + 1, data: "a"},
				pkt{dir: c2s, seq: cisn + 2, data: "b", at: 2 * time.Minute},
			),
			c2s:    "a",
			events: []string{`1 client->server data "a"`, `1 close idle`},
		},
		{
			name:  "flush delivers buffered data behind a hole",
			opts:  Options{HoleTimeout: noWait},
			pkts:  with(handshake, pkt{dir: c2s, seq: cisn + 4, data: "de"}),
			flush: true,
			c2s:   "???de",
			events: []string{
				`1 client->server gap @0+3`, `1 client->server data "de"`, `1 close flush`,
			},
		},
		{
			name: "FIN before a hole closes once the hole fills",
			pkts: with(handshake,
				pkt{dir: c2s, seq: cisn + 4, data: "de", flags: fin},
				pkt{dir: s2c, seq: sisn + 1, flags: fin},
				pkt{dir: c2s, seq: cisn + 1, data: "abc"},
			),
			c2s:    "abcde",
			events: []string{`1 client->server data "abc"`, `1 client->server data "de"`, `1 close fin`},

			check: func(t *testing.T, s *Stream) {
				assert.True(t, s.Finished(c2s))
				assert.True(t, s.Finished(s2c))
				assert.False(t, s.MidStream(c2s))
			},
		},
		{
			name: "SYN payload (fast open) is stream data",
			pkts: []pkt{
				{dir: c2s, seq: cisn, flags: syn, data: "hi"},
				{dir: s2c, seq: sisn, flags: syn},
				{dir: c2s, seq: cisn + 3, data: "!"},
			},
			c2s: "hi!",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, a := run(tt.opts, tt.pkts...)
			if tt.flush {
				a.FlushAll()
			}
			require.NotEmpty(t, r.streams)
			assert.Equal(t, tt.c2s, r.text(1, c2s))
			assert.Equal(t, tt.s2c, r.text(1, s2c))
			if tt.events != nil {
				var got []string
				for _, e := range r.events {
					got = append(got, e.String())
				}
				assert.Equal(t, tt.events, got)
			}
			if tt.stats != nil {
				tt.stats(t, a.Stats())
			}
			if tt.check != nil {
				tt.check(t, r.streams[0])
			}
		})
	}
}

func TestSideRules(t *testing.T) {
	port80 := func(ep netip.AddrPort) bool { return ep.Port() == 80 }
	tests := []struct {
		name   string
		opts   Options
		first  pkt
		client netip.AddrPort
		rule   SideRule
	}{
		{"SYN from client", Options{}, pkt{dir: c2s, seq: 1, flags: syn}, cli, SideBySYN},
		{"SYN+ACK seen first", Options{}, pkt{dir: s2c, seq: 1, flags: syn}, cli, SideBySYN},
		{"hint names the destination", Options{IsServer: port80}, pkt{dir: c2s, seq: 1, data: "x"}, cli, SideByHint},
		{"hint names the source", Options{IsServer: port80}, pkt{dir: s2c, seq: 1, data: "x"}, cli, SideByHint},
		{"first seen without hint", Options{}, pkt{dir: s2c, seq: 1, data: "x"}, srv, SideByFirstSeen},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, _ := run(tt.opts, tt.first)
			require.Len(t, r.streams, 1)
			s := r.streams[0]
			assert.Equal(t, tt.client, s.Client())
			assert.Equal(t, tt.rule, s.SideRule())
			if tt.client == cli {
				assert.Equal(t, srv, s.Server())
			}
		})
	}
}

func TestDataAfterCloseDoesNotOpenGhost(t *testing.T) {
	r, a := run(Options{}, with(handshake,
		pkt{dir: c2s, seq: cisn + 1, data: "q"},
		pkt{dir: c2s, seq: cisn + 2, flags: fin},
		pkt{dir: s2c, seq: sisn + 1, flags: fin},
		pkt{dir: c2s, seq: cisn + 3},            // last ACK
		pkt{dir: c2s, seq: cisn + 1, data: "q"}, // late retransmission
	)...)
	assert.Len(t, r.streams, 1)
	assert.Equal(t, uint64(2), a.Stats().Ignored)
	// A new SYN on the same 4-tuple is a new connection.
	a.Assemble(pkt{dir: c2s, seq: 90000, flags: syn}.segment())
	a.Assemble(pkt{dir: c2s, seq: 90001, data: "again"}.segment())
	require.Len(t, r.streams, 2)
	assert.Equal(t, "again", r.text(2, c2s))
}

func TestMaxConnsEvictsLeastRecent(t *testing.T) {
	r := newRecorder()
	a := NewAssembler(r, Options{MaxConns: 3, CloseWait: noWait})
	for i := 0; i < 5; i++ {
		seg := pkt{dir: c2s, seq: 1, data: "x", at: time.Duration(i) * time.Millisecond}.segment()
		seg.Src = netip.AddrPortFrom(cli.Addr(), uint16(1000+i))
		a.Assemble(seg)
	}
	st := a.Stats()
	assert.Equal(t, 3, st.Conns)
	assert.Equal(t, uint64(2), st.ConnsEvicted)
	assert.Equal(t, CloseEvicted, r.closed[1])
	assert.Equal(t, CloseEvicted, r.closed[2])
	assert.NotContains(t, r.closed, uint64(3))
}

func TestTotalLimitReleasesOldestWaiter(t *testing.T) {
	r := newRecorder()
	a := NewAssembler(r, Options{MaxBufferedTotal: 3 * (PendingOverhead + 64), HoleTimeout: noWait})
	for i := 0; i < 4; i++ {
		seg := pkt{dir: c2s, seq: 9, flags: syn, at: time.Duration(i) * time.Millisecond}.segment()
		seg.Src = netip.AddrPortFrom(cli.Addr(), uint16(1000+i))
		a.Assemble(seg) // starts the stream at 10
		seg.Seq, seg.Flags, seg.Payload = 10, FlagACK, []byte("abcd")
		a.Assemble(seg)
		seg.Seq, seg.Payload = 20, []byte("wxyz") // hole 14..20
		seg.Timestamp = seg.Timestamp.Add(time.Microsecond)
		a.Assemble(seg)
	}
	// The fourth buffered run went over the limit: the first connection's
	// hole was given up.
	assert.Equal(t, "abcd??????wxyz", r.text(1, c2s))
	assert.Equal(t, "abcd", r.text(2, c2s))
	assert.Equal(t, uint64(1), a.Stats().LimitSkips)
	assert.Equal(t, 3*(PendingOverhead+64), a.Stats().Buffered)
}

func TestBuffersReturnedOnClose(t *testing.T) {
	r := newRecorder()
	a := NewAssembler(r, Options{BufferCacheBytes: 64 << 10, HoleTimeout: noWait})
	payload := strings.Repeat("z", 1000)
	for i := 0; i < 500; i++ {
		src := netip.AddrPortFrom(cli.Addr(), uint16(1000+i))
		for j := 1; j <= 4; j++ { // four runs each behind a hole
			seg := pkt{dir: c2s, seq: uint32(j * 2000), data: payload}.segment()
			seg.Src = src
			if j == 1 {
				seg.Seq = 0
			}
			a.Assemble(seg)
		}
		seg := pkt{dir: c2s, seq: 0, flags: rst}.segment()
		seg.Src = src
		a.Assemble(seg)
	}
	st := a.Stats()
	assert.Equal(t, 0, st.Buffered)
	assert.Equal(t, 0, st.Conns)
	assert.LessOrEqual(t, a.CachedBufferBytes(), 64<<10)
	assert.Equal(t, uint64(500), st.ConnsClosed)
	assert.Equal(t, uint64(500*3), st.Gaps)
}

// Regression (FuzzAssembler): with only tombstones in the table, a new
// connection must still respect MaxConns.
func TestMaxConnsCountsTombstones(t *testing.T) {
	r := newRecorder()
	a := NewAssembler(r, Options{MaxConns: 2, CloseWait: time.Hour})
	for i := 0; i < 6; i++ {
		src := netip.AddrPortFrom(cli.Addr(), uint16(1000+i))
		seg := pkt{dir: c2s, seq: 1, data: "x"}.segment()
		seg.Src = src
		a.Assemble(seg)
		seg = pkt{dir: c2s, seq: 2, flags: rst}.segment()
		seg.Src = src
		a.Assemble(seg)
		assert.LessOrEqual(t, a.conns.len(), 2)
	}
	assert.Equal(t, uint64(6), a.Stats().ConnsClosed)
	assert.Zero(t, a.Stats().ConnsEvicted)
}

func TestNewSYNOnTrackedTupleStartsNewStream(t *testing.T) {
	r, a := run(Options{}, with(handshake,
		pkt{dir: c2s, seq: cisn + 1, data: "first"},
		pkt{dir: c2s, seq: cisn, flags: syn},  // a retransmitted SYN: same ISN, same stream
		pkt{dir: c2s, seq: 70000, flags: syn}, // the FINs were never captured: a new connection
		pkt{dir: s2c, seq: 90000, flags: syn},
		pkt{dir: c2s, seq: 70001, data: "second"},
	)...)
	require.Len(t, r.streams, 2)
	assert.Equal(t, CloseReused, r.closed[1])
	assert.Equal(t, "first", r.text(1, c2s))
	assert.Equal(t, "second", r.text(2, c2s))
	assert.Equal(t, SideBySYN, r.streams[1].SideRule())
	assert.Equal(t, 1, a.Stats().Conns)
}

func TestReusedTupleWithoutTombstones(t *testing.T) {
	r, a := run(Options{CloseWait: noWait}, with(handshake,
		pkt{dir: c2s, seq: cisn + 1, data: "first"},
		pkt{dir: c2s, seq: 70000, flags: syn},
		pkt{dir: c2s, seq: 70001, data: "second"},
	)...)
	require.Len(t, r.streams, 2)
	assert.Equal(t, "second", r.text(2, c2s))
	assert.Equal(t, 1, a.conns.len())
	a.FlushAll()
	assert.Zero(t, a.conns.len())
	assert.Equal(t, CloseFlush, r.closed[2])
}

func TestFlushOlderThan(t *testing.T) {
	r, a := run(Options{HoleTimeout: noWait, IdleTimeout: noWait}, with(handshake,
		pkt{dir: c2s, seq: cisn + 1, data: "ab"},
		pkt{dir: c2s, seq: cisn + 5, data: "ef", at: time.Second}, // waits behind a hole
	)...)
	other := pkt{dir: c2s, seq: 1, data: "new", at: 10 * time.Second}.segment()
	other.Src = netip.AddrPortFrom(cli.Addr(), 50000)
	a.Assemble(other)

	a.FlushOlderThan(t0.Add(5 * time.Second)) // a live capture's clock: now minus 5s
	assert.Equal(t, "ab??ef", r.text(1, c2s))
	assert.Equal(t, CloseIdle, r.closed[1])
	assert.NotContains(t, r.closed, uint64(2), "the recent connection stays open")
	st := a.Stats()
	assert.Equal(t, uint64(1), st.HoleTimeouts)
	assert.Equal(t, 1, st.Conns)
}

func TestIPv6AndIPv4ConnectionsAreDistinct(t *testing.T) {
	r := newRecorder()
	a := NewAssembler(r, Options{})
	v6c, v6s := netip.MustParseAddrPort("[2001:db8::1]:40000"), netip.MustParseAddrPort("[2001:db8::2]:80")
	for i, p := range []struct {
		src, dst netip.AddrPort
		seq      uint32
		data     string
	}{
		{v6c, v6s, 100, "six-"},
		{cli, srv, 100, "four-"},
		{v6s, v6c, 7, "reply6"},
		{v6c, v6s, 104, "more"},
		{srv, cli, 9, "reply4"},
	} {
		a.Assemble(&Segment{Src: p.src, Dst: p.dst, Seq: p.seq, Flags: FlagACK, Payload: []byte(p.data), Timestamp: t0.Add(time.Duration(i))})
	}
	a.FlushAll() // "reply4", the last segment of a mid-stream direction, waits for one more
	require.Len(t, r.streams, 2)
	assert.Equal(t, v6c, r.streams[0].Client())
	assert.Equal(t, "six-more", r.text(1, c2s))
	assert.Equal(t, "reply6", r.text(1, s2c))
	assert.Equal(t, "four-", r.text(2, c2s))
	assert.Equal(t, "reply4", r.text(2, s2c))
}

// Timestamps that go back (a merged capture) do not leave an idle
// connection open behind a fresher one.
func TestIdleWithBackwardTimestamps(t *testing.T) {
	r := newRecorder()
	a := NewAssembler(r, Options{IdleTimeout: time.Minute})
	send := func(port uint16, at time.Duration) {
		seg := pkt{dir: c2s, seq: 1, data: "x", at: at}.segment()
		seg.Src = netip.AddrPortFrom(cli.Addr(), port)
		a.Assemble(seg)
		seg.Seq++
	}
	send(1001, 100*time.Second)
	send(1002, 0) // older timestamp, later in the file
	send(1003, 170*time.Second)
	assert.Equal(t, CloseIdle, r.closed[1])
	assert.Equal(t, CloseIdle, r.closed[2], "idle since 100s in capture time")
	assert.NotContains(t, r.closed, uint64(3))
}
