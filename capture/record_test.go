//go:build linux

package capture

import (
	"bufio"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/wirekit/wirekit/parser"
	"github.com/wirekit/wirekit/protocols"
	"github.com/wirekit/wirekit/reassembly"
)

// TestRecord: live redis traffic recorded with Options.Record while the
// pipeline runs; tshark reads the pcapng file and counts every recorded
// frame, and decoding the file afterwards gives the live exchanges.
func TestRecord(t *testing.T) {
	needRoot(t)
	needTool(t, "redis-server", "redis-benchmark", "tshark")
	port := freePort(t)
	startRedis(t, "127.0.0.1", port)
	path := filepath.Join(t.TempDir(), "live.pcapng")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	bw := bufio.NewWriter(f)
	live := newRedisCounter()
	st := runPipeline(t, Options{Interface: "lo", Filter: "tcp port " + strconv.Itoa(port), Workers: 2, Record: bw, BlockSize: testBlock, BlockCount: testBlocks, FrameTimeout: testTimeout}, live, func() {
		run(t, "redis-benchmark", "-h", "127.0.0.1", "-p", strconv.Itoa(port), "-n", "2000", "-c", "6", "-P", "4", "-t", "set,get", "-q")
	})
	if err := bw.Flush(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if st.RecordedPackets != st.Packets || st.RecordErrors != 0 || st.Packets == 0 {
		t.Errorf("recorded %d of %d frames, %d errors", st.RecordedPackets, st.Packets, st.RecordErrors)
	}
	out, err := exec.Command("tshark", "-r", path, "-T", "fields", "-e", "frame.number").Output()
	if err != nil {
		t.Fatalf("tshark -r: %v", err)
	}
	if n := strings.Count(string(out), "\n"); uint64(n) != st.RecordedPackets {
		t.Errorf("tshark reads %d frames, %d recorded", n, st.RecordedPackets)
	}
	replay := newRedisCounter()
	x := reassembly.NewExchanges(reassembly.ExchangeOptions{Detector: parser.NewDetector(protocols.All()...)}, replay.forWorker(0))
	a := reassembly.NewAssembler(x, reassembly.Options{})
	if _, err := reassembly.ReadFile(path, a); err != nil {
		t.Fatal(err)
	}
	a.FlushAll()
	if !maps.Equal(replay.calls, live.calls) || sum(live.calls) < 4000 {
		t.Errorf("recording decodes to %v, live %v", replay.calls, live.calls)
	}
}
