package dump

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/google/gopacket/pcapgo"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/wirekit/wirekit/parser"
)

func flowItem(i int, clk Clock) *Item {
	return &Item{Kind: KindFlow, Window: 1, Time: clk.Now(), Conn: &ConnInfo{ID: 1}, Offset: uint64(i * 100),
		Data: bytes.Repeat([]byte{byte('a' + i%26)}, 100)}
}

func TestFileSinkRotatesBySizeAndAgeAndCapsTotal(t *testing.T) {
	clk := newFakeClock()
	dir := t.TempDir()
	s, err := NewJSONLFileSink(FileOptions{Dir: dir, Prefix: "t", MaxFileBytes: 1000, MaxFileAge: time.Minute, MaxTotalBytes: 3000, Clock: clk})
	require.NoError(t, err)
	// One item per batch: each line is ~260 bytes, so a file takes 4.
	for i := 0; i < 20; i++ {
		require.NoError(t, s.Write(flowItem(i, clk)))
		require.NoError(t, s.Flush())
	}
	st := s.FileStats()
	assert.Equal(t, uint64(5), st.Created)
	assert.LessOrEqual(t, st.Bytes, int64(3000+1000))
	assert.Equal(t, st.Files, len(s.Files()))
	assert.NotZero(t, st.Removed, "oldest files deleted for MaxTotalBytes")
	var total int64
	for _, f := range s.Files() {
		fi, err := os.Stat(f)
		require.NoError(t, err)
		total += fi.Size()
	}
	assert.Equal(t, st.Bytes, total, "accounting matches the disk")
	ents, _ := os.ReadDir(dir)
	assert.Len(t, ents, st.Files, "deleted files are gone")

	// Age: the next write after MaxFileAge starts a new file.
	before := s.FileStats().Created
	clk.Advance(2 * time.Minute)
	require.NoError(t, s.Write(flowItem(0, clk)))
	require.NoError(t, s.Flush())
	assert.Equal(t, before+1, s.FileStats().Created)
	require.NoError(t, s.Close())
}

// failingFile simulates a disk that fills up: writes fail with ENOSPC
// while full is set, after writing part of the buffer.
type failingFile struct {
	f    *os.File
	full *bool
}

func (ff *failingFile) Write(b []byte) (int, error) {
	if *ff.full {
		n, _ := ff.f.Write(b[:len(b)/2]) // a partial write, as a real full disk does
		return n, &os.PathError{Op: "write", Path: ff.f.Name(), Err: syscall.ENOSPC}
	}
	return ff.f.Write(b)
}
func (ff *failingFile) Truncate(n int64) error { return ff.f.Truncate(n) }
func (ff *failingFile) Close() error           { return ff.f.Close() }

func TestFileSinkDiskFullThroughDumper(t *testing.T) {
	clk := newFakeClock()
	dir := t.TempDir()
	fs, err := NewPcapngFileSink(FileOptions{Dir: dir, Clock: clk})
	require.NoError(t, err)
	full := false
	fs.open = func(p string) (file, error) {
		f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			return nil, err
		}
		return &failingFile{f: f, full: &full}, nil
	}
	d, err := New(Config{Strategy: always, Sinks: []Sink{fs}, Clock: clk, Probe: &fakeProbe{}, MonitorPeriod: time.Hour,
		RetryBackoff: time.Second, MaxRetryBackoff: time.Second})
	require.NoError(t, err)
	require.NoError(t, d.Start())
	c := d.Open(ConnInfo{ID: 1, Client: addr("127.0.0.1:40000"), Server: addr("127.0.0.1:6379")})
	r := &rig{t: t, d: d, clk: clk}

	send := func(s string) { require.Equal(t, Accepted, c.Append(parser.Request, []byte(s))) }
	send("before-")
	r.drain()
	full = true
	send("lost-")
	st := r.drain()
	assert.Equal(t, uint64(1), st.DroppedWriteError)
	require.ErrorIs(t, st.Sinks[0].LastError, syscall.ENOSPC)
	send("skipped-") // sink down: not even tried
	st = r.drain()
	assert.Equal(t, uint64(2), st.DroppedWriteError)
	full = false // space returns
	clk.Advance(time.Second)
	send("after")
	st = r.drain()
	assert.False(t, st.Sinks[0].Down)
	require.NoError(t, d.Close())
	st = d.Stats()
	assert.Equal(t, st.Accepted, st.Written+st.DroppedWriteError)

	fst := fs.FileStats()
	assert.Equal(t, uint64(1), fst.WriteErrors)
	require.Len(t, fs.Files(), 2, "the truncated first file and a new one")
	// Both files are complete pcapng files (the partial batch was cut off)
	// and hold exactly the bytes written around the failure.
	var got []string
	for _, p := range fs.Files() {
		streams, _ := readDumpedPcapngAny(t, p)
		for _, s := range streams {
			got = append(got, string(s))
		}
	}
	assert.Equal(t, []string{"before-", "after"}, got)
}

// readDumpedPcapngAny returns, per data packet, the TCP payload, checking
// the file reads to its end without error.
func readDumpedPcapngAny(t *testing.T, path string) ([][]byte, int) {
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	r, err := pcapgo.NewNgReader(f, pcapgo.NgReaderOptions{WantMixedLinkType: true})
	require.NoError(t, err)
	var out [][]byte
	n := 0
	for {
		data, ci, err := r.ReadPacketData()
		if err != nil {
			require.True(t, errors.Is(err, os.ErrClosed) || err.Error() == "EOF", "clean end of file: %v", err)
			break
		}
		n++
		if ci.InterfaceIndex == 0 && len(data) > 54 {
			out = append(out, data[54:])
		}
	}
	return out, n
}

func TestFileSinkOpenFailure(t *testing.T) {
	fs, err := NewJSONLFileSink(FileOptions{Dir: t.TempDir()})
	require.NoError(t, err)
	fs.open = func(string) (file, error) { return nil, fmt.Errorf("open: %w", syscall.ENOSPC) }
	err = fs.Write(flowItem(0, SystemClock{}))
	require.ErrorIs(t, err, syscall.ENOSPC)
	assert.Empty(t, fs.Files())
	assert.Equal(t, uint64(1), fs.FileStats().WriteErrors)
}

func TestWriterSinkHeaderAfterFailure(t *testing.T) {
	var buf bytes.Buffer
	fail := true
	w := NewPcapngWriterSink(writerFunc(func(b []byte) (int, error) {
		if fail {
			return 0, errors.New("pipe closed")
		}
		return buf.Write(b)
	}))
	require.NoError(t, w.Write(flowItem(0, SystemClock{})))
	require.Error(t, w.Flush())
	fail = false
	require.NoError(t, w.Write(flowItem(1, SystemClock{})))
	require.NoError(t, w.Flush())
	_, err := pcapgo.NewNgReader(bytes.NewReader(buf.Bytes()), pcapgo.NgReaderOptions{})
	require.NoError(t, err, "the stream starts with a section header again")
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(b []byte) (int, error) { return f(b) }

// Issue 14.6: dump files hold full payloads (AUTH passwords included), so
// the files and the directories the sink creates are owner-only, whatever
// the process umask lets through.
func TestFileSinkCreatesOwnerOnlyFiles(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	dir := t.TempDir() + "/a/b"
	for _, mk := range []func(FileOptions) (*FileSink, error){NewPcapngFileSink, NewJSONLFileSink} {
		clk := newFakeClock()
		s, err := mk(FileOptions{Dir: dir, Prefix: "perm", Clock: clk})
		require.NoError(t, err)
		require.NoError(t, s.Write(flowItem(0, clk)))
		require.NoError(t, s.Flush())
		require.NoError(t, s.Close())
		require.NotEmpty(t, s.Files())
		for _, f := range s.Files() {
			fi, err := os.Stat(f)
			require.NoError(t, err)
			assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), f)
		}
	}
	for _, d := range []string{dir, dir + "/.."} {
		fi, err := os.Stat(d)
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o700), fi.Mode().Perm(), d)
	}
}
