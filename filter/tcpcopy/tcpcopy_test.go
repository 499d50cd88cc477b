package tcpcopy

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wirekit/wirekit/dump"
	"github.com/wirekit/wirekit/filter"
	"github.com/wirekit/wirekit/pcaptest"
	"github.com/wirekit/wirekit/reassembly"
)

const onStrategy = `{"switch":"ON","interval":1,"duration":1,"cpu_max_rate":100,"mem_max_rate":100}`

func newFactory(t *testing.T, strategy, format string) (*Factory, string) {
	t.Helper()
	dir := t.TempDir()
	raw := fmt.Sprintf(`{"strategy":%s,"output":{"dir":%q,"format":%q}}`, strategy, dir, format)
	var created []*Factory
	f, err := NewCreator(func(f *Factory) { created = append(created, f) })([]byte(raw))
	require.NoError(t, err)
	require.Len(t, created, 1)
	t.Cleanup(func() { _ = f.(*Factory).Close() })
	return f.(*Factory), dir
}

// replay runs every connection of a capture through a chain holding only
// f, in the captured chunks, as a proxy would (client = remote address,
// server = the listener's local address).
func replay(t *testing.T, f *Factory, path string) []*pcaptest.Stream {
	t.Helper()
	streams, err := pcaptest.ReadFile(path)
	require.NoError(t, err)
	ch := filter.NewChain(f)
	for _, s := range streams {
		c, err := ch.NewConn(filter.ConnInfo{
			RemoteAddr: net.TCPAddrFromAddrPort(s.Client), LocalAddr: net.TCPAddrFromAddrPort(s.Server),
		}, filter.ConnOptions{Upstream: io.Discard, Downstream: io.Discard})
		require.NoError(t, err)
		require.NoError(t, c.Start())
		for _, k := range s.Chunks {
			require.NoError(t, c.Feed(int(k.Dir), k.Bytes(s)))
		}
		c.Release()
	}
	return streams
}

func dumpFiles(t *testing.T, dir, ext string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*."+ext))
	require.NoError(t, err)
	return files
}

// The recorded pcapng holds every byte of every connection, in order: it
// reassembles to the same streams as the original capture.
func TestRecordsEveryByte(t *testing.T) {
	f, dir := newFactory(t, onStrategy, "pcapng")
	orig := replay(t, f, pcaptest.Corpus("redis_cli_session.pcap"))
	require.NoError(t, f.Close())
	st := f.Dumper().Stats()
	assert.Zero(t, st.DroppedQueueFull+st.DroppedGate+st.DroppedWriteError, "%+v", st)
	files := dumpFiles(t, dir, "pcapng")
	require.Len(t, files, 1)
	got, err := pcaptest.ReadFile(files[0])
	require.NoError(t, err)
	require.Len(t, got, len(orig))
	for i := range orig {
		assert.Equal(t, orig[i].Client, got[i].Client)
		assert.Equal(t, orig[i].Server, got[i].Server)
		for dir := 0; dir < 2; dir++ {
			assert.True(t, bytes.Equal(orig[i].Data[dir], got[i].Data[dir]), "stream %d dir %d: %d vs %d bytes",
				i, dir, len(orig[i].Data[dir]), len(got[i].Data[dir]))
			assert.Zero(t, got[i].Gaps[dir])
		}
	}
}

// Issue 19.6: the strategy snapshot the dumper records next to the traffic
// (a USER0 interface) is not counted as malformed by wirekit's own reader.
func TestPcapngStrategyRecordNotMalformed(t *testing.T) {
	f, dir := newFactory(t, onStrategy, "pcapng")
	replay(t, f, pcaptest.Corpus("redis_cli_session.pcap"))
	require.NoError(t, f.Close())
	files := dumpFiles(t, dir, "pcapng")
	require.Len(t, files, 1)
	a := reassembly.NewAssembler(reassembly.FactoryFunc(func(*reassembly.Stream) reassembly.Handler { return nopHandler{} }), reassembly.Options{})
	ps, err := reassembly.ReadFile(files[0], a)
	require.NoError(t, err)
	a.FlushAll()
	assert.Zero(t, ps.Malformed, "%+v", ps)
	assert.NotZero(t, ps.OtherLink, "the strategy snapshot is there")
	assert.NotZero(t, ps.TCP)
	assert.Equal(t, ps.Packets, ps.TCP+ps.OtherLink)
}

type nopHandler struct{}

func (nopHandler) Data(*reassembly.Stream, reassembly.Dir, []byte, time.Time) {}
func (nopHandler) Gap(*reassembly.Stream, reassembly.Dir, uint64, int)        {}
func (nopHandler) Close(*reassembly.Stream, reassembly.CloseReason)           {}

// tshark dissects the requests of the recorded pcapng, and they are the
// ones of the corpus truth.
func TestPcapngDissectsWithTshark(t *testing.T) {
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("tshark not on PATH under CI")
		}
		t.Skip("tshark not on PATH")
	}
	f, dir := newFactory(t, onStrategy, "pcapng")
	replay(t, f, pcaptest.Corpus("http_gonet_goclient.pcap"))
	require.NoError(t, f.Close())
	files := dumpFiles(t, dir, "pcapng")
	require.Len(t, files, 1)
	out, err := exec.Command(tshark, "-r", files[0], "-n", "-d", "tcp.port==18080,http", "-Y", "http.request",
		"-T", "fields", "-e", "http.request.method", "-e", "http.request.uri").Output()
	require.NoError(t, err)
	got := strings.Split(strings.TrimSpace(string(out)), "\n")

	var want []string
	tf, err := os.Open(pcaptest.Corpus("http_gonet_goclient.truth.jsonl"))
	require.NoError(t, err)
	defer tf.Close()
	sc := bufio.NewScanner(tf)
	for sc.Scan() {
		var row struct {
			Request map[string]any `json:"request"`
		}
		require.NoError(t, json.Unmarshal(sc.Bytes(), &row))
		want = append(want, fmt.Sprintf("%s\t%s", row.Request["http.method"], row.Request["http.path"]))
	}
	require.NotEmpty(t, want)
	assert.ElementsMatch(t, want, got)
}

func TestSwitchOffRecordsNothing(t *testing.T) {
	f, dir := newFactory(t, `{"switch":"OFF"}`, "jsonl")
	replay(t, f, pcaptest.Corpus("redis_cli_session.pcap"))
	require.NoError(t, f.Close())
	files := dumpFiles(t, dir, "jsonl")
	require.Len(t, files, 1)
	b, err := os.ReadFile(files[0])
	require.NoError(t, err)
	t.Logf("%s", b)
	assert.Contains(t, string(b), `"kind":"snapshot"`, "the strategy snapshot is written")
	assert.NotContains(t, string(b), `"kind":"flow"`, "no traffic with the switch off")
	assert.Equal(t, uint64(1), f.Dumper().Stats().Accepted, "only the snapshot")

	// With the switch on, the same traffic is recorded.
	f2, dir2 := newFactory(t, onStrategy, "jsonl")
	replay(t, f2, pcaptest.Corpus("redis_cli_session.pcap"))
	require.NoError(t, f2.Close())
	b, err = os.ReadFile(dumpFiles(t, dir2, "jsonl")[0])
	require.NoError(t, err)
	assert.Contains(t, string(b), `"kind":"flow"`)
}

func TestConfigErrors(t *testing.T) {
	r := filter.NewRegistry()
	require.NoError(t, r.Register(Name, NewCreator(nil)))
	dir := t.TempDir()
	for _, tt := range []struct{ cfg, want string }{
		{`{"strategy":{"switch":"ON","interval":0},"output":{"dir":"` + dir + `"}}`, "interval"},
		{`{"strategy":{"switch":"maybe"},"output":{"dir":"` + dir + `"}}`, "switch"},
		{`{"strategy":{"switch":"ON"}}`, "output.dir or kafka is required"},
		{`{"output":{"dir":"` + dir + `","format":"pcap"}}`, "output.format"},
		{`{"output":{"dir":"` + dir + `"},"sample":1}`, `unknown field "sample"`},
		{`{"conn_sample_rate":2,"output":{"dir":"` + dir + `"}}`, "ConnSampleRate"},
	} {
		_, err := r.NewChainJSON([]byte(`[{"type":"tcpcopy","config":` + tt.cfg + `}]`))
		require.ErrorIs(t, err, filter.ErrBadConfig, tt.cfg)
		assert.Contains(t, err.Error(), tt.want)
	}
}

// Configuration errors are the dump package's sentinels.
func TestConfigErrorsAreSentinels(t *testing.T) {
	_, err := NewFromConfig(Config{})
	assert.ErrorIs(t, err, dump.ErrInvalidConfig)
	_, err = NewFromConfig(Config{Output: OutputConfig{Dir: t.TempDir(), Format: "csv"}})
	assert.ErrorIs(t, err, dump.ErrInvalidConfig)
	_, err = NewFromConfig(Config{Strategy: []byte(`{"switch":"MAYBE"}`), Output: OutputConfig{Dir: t.TempDir()}})
	assert.ErrorIs(t, err, dump.ErrInvalidStrategy)
}
