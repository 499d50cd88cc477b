//go:build linux

package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// notifyWriter collects what is written and closes ready when a line
// containing "listening on" has been written.
type notifyWriter struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	ready chan struct{}
	once  sync.Once
}

func (w *notifyWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if strings.Contains(w.buf.String(), "listening on") {
		w.once.Do(func() { close(w.ready) })
	}
	return len(p), nil
}

func (w *notifyWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// TestLiveMode: pcapdecode -i lo -f 'tcp port P' -json -w FILE -duration
// -kafka against a real redis-server driven by redis-cli and
// redis-benchmark: one JSON row per command the server counted, the
// capture line with 0 kernel drops on stderr, the recording decodes to the
// same rows, and the topic (kfake) holds one record per row.
func TestLiveMode(t *testing.T) {
	if os.Geteuid() != 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("the live mode test must run as root in CI")
		}
		t.Skip("live capture needs root; CI runs this as root")
	}
	for _, tool := range []string{"redis-server", "redis-cli", "redis-benchmark"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not installed (.ci/run installs it)", tool)
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	l.Close()
	srv := exec.Command("redis-server", "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no")
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { srv.Process.Kill(); srv.Wait() }()
	for i := 0; i < 100; i++ {
		if exec.Command("redis-cli", "-p", port, "ping").Run() == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}

	kc := newCluster(t, "live")
	rec := filepath.Join(t.TempDir(), "live.pcapng")
	var stdout bytes.Buffer
	stderr := &notifyWriter{ready: make(chan struct{})}
	code := make(chan int, 1)
	go func() {
		code <- run([]string{"-i", "lo", "-f", "tcp port " + port, "-json", "-w", rec, "-duration", "2s",
			"-kafka", strings.Join(kc.ListenAddrs(), ","), "-topic", "live"}, nil, &stdout, stderr)
	}()
	select {
	case <-stderr.ready:
	case <-time.After(5 * time.Second):
		t.Fatalf("live mode did not start: %s", stderr)
	}
	cmds := [][]string{{"set", "k", "v"}, {"get", "k"}, {"incr", "n"}, {"hset", "h", "f", "1"}, {"del", "k"}}
	for _, c := range cmds {
		if out, err := exec.Command("redis-cli", append([]string{"-p", port}, c...)...).CombinedOutput(); err != nil {
			t.Fatalf("redis-cli %v: %v %s", c, err, out)
		}
	}
	if out, err := exec.Command("redis-benchmark", "-p", port, "-n", "500", "-c", "2", "-t", "set", "-q").CombinedOutput(); err != nil {
		t.Fatalf("redis-benchmark: %v %s", err, out)
	}
	if c := <-code; c != 0 {
		t.Fatalf("exit %d: %s", c, stderr)
	}
	commands := func(b []byte) map[string]int {
		m := map[string]int{}
		for _, line := range bytes.Split(bytes.TrimSpace(b), []byte("\n")) {
			var row struct {
				Kind    string         `json:"kind"`
				Request map[string]any `json:"request"`
			}
			if err := json.Unmarshal(line, &row); err != nil {
				t.Fatalf("%v: %s", err, line)
			}
			cmd, _ := row.Request["redis.command"].(string)
			m[row.Kind+" "+cmd]++
		}
		return m
	}
	got := commands(stdout.Bytes())
	want := map[string]int{"complete SET": 501, "complete GET": 1, "complete INCR": 1, "complete HSET": 1, "complete DEL": 1,
		"complete CONFIG": 2, "complete PING": 1} // redis-benchmark's CONFIG GET save/appendonly; one PING may precede it
	if got["complete PING"] == 0 {
		delete(want, "complete PING")
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %d rows, want %d (all: %v)", k, got[k], v, got)
		}
	}
	if !strings.Contains(stderr.String(), " 0 dropped by the kernel") || !strings.Contains(stderr.String(), "recorded to "+rec) {
		t.Errorf("capture line on stderr: %s", stderr)
	}
	var exported []byte
	for _, r := range topicValues(t, kc.ListenAddrs(), "live") {
		exported = append(exported, r.Value...)
	}
	if e := commands(exported); !reflect.DeepEqual(e, got) {
		t.Errorf("topic holds %v, printed %v", e, got)
	}
	rows := bytes.Count(stdout.Bytes(), []byte("\n"))
	if want := fmt.Sprintf("kafka export to live: %d exchanges offered, %d acknowledged, 0 dropped", rows, rows); !strings.Contains(stderr.String(), want) {
		t.Errorf("want %q on stderr: %s", want, stderr)
	}
	var replay, replayErr bytes.Buffer
	if c := run([]string{"-json", rec}, nil, &replay, &replayErr); c != 0 {
		t.Fatalf("decoding the recording: exit %d: %s", c, replayErr.String())
	}
	if r := commands(replay.Bytes()); len(r) != len(got) || r["complete SET"] != got["complete SET"] {
		t.Errorf("recording decodes to %v, live %v", r, got)
	}
}
